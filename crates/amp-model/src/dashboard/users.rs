use crate::dashboard::{SeriesResponse, UsersQuery};

/// The answer of `/api/2/users`.
pub type UsersResponse = SeriesResponse;

impl_bucketed_query!(UsersQuery, UsersResponse);
