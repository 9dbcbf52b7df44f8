//! The Taxonomy API (reference 3.5): the tracking plan's event categories, event types, event
//! properties, user properties and group properties. Bodies are form-encoded; every request
//! draws on the governor's `Taxonomy` class (a read costs 1, a write 2; cost 4 in flight and
//! 7,200 per hour). Creates, updates, deletes and restores are never repeated by the client once
//! they may have reached Amplitude (an update may rename, so its repeat would miss); a category
//! rename, by id, is.

mod generated;

pub use amp_model::taxonomy::{
    Answer, Category, CategoryName, EventProperty, EventType, GroupProperty, PropertySchema,
    UserProperty,
};
pub use amp_model::{DataType, OverrideScope};
pub use generated::*;
