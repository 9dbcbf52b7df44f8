//! Chart Annotations (reference 3.3): v3 annotations and their categories, every operation,
//! and the legacy v2 list. Creates and deletes are never repeated by the client once they may
//! have reached Amplitude; updates, renames and bulk assignments set a state and are.

mod generated;

pub use amp_model::annotations::{
    Annotation, AnnotationAnswer, AnnotationList, AnnotationListV2, AnnotationV2, Category,
    CategoryAnswer, CategoryList, Data, RenamedCategory, RenamedCategoryAnswer, Timestamp,
};
pub use generated::*;
