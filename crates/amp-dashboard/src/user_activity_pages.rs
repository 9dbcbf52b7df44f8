use amp_model::dashboard::{ActivityEvent, UserActivityResponse, UserMatch};
use amp_transport::{Client, Error};
use futures_util::{Stream, StreamExt as _};

use crate::{GetUserActivity, SearchUsers};

/// The most events one user activity request returns.
pub const MAX_PAGE: u32 = 1_000;

/// Every event of a user as a stream, page by page past the 1,000 one request returns.
///
/// `endpoint` sets the user, the direction and the first offset; its `limit` (1,000 when unset)
/// is the page size. A page is fetched when the stream reaches it, and each is one request of
/// the 360 an hour user activity allows. The stream ends after a short page, or after an error,
/// which it yields.
pub fn user_events(
    client: &Client,
    endpoint: GetUserActivity,
) -> impl Stream<Item = Result<ActivityEvent, Error>> + '_ {
    let page = usize::try_from(endpoint.as_query().limit.unwrap_or(MAX_PAGE)).unwrap_or(usize::MAX);
    futures_util::stream::unfold(Some(endpoint), move |next| async move {
        let mut endpoint = next?;
        let events: Vec<Result<ActivityEvent, Error>> = match client.send(&endpoint).await {
            Ok(response) => response.events.into_iter().map(Ok).collect(),
            Err(error) => return Some((vec![Err(error)], None)),
        };
        // Amplitude may return more than `limit` so as not to split a session: step by what came.
        let more = !events.is_empty() && events.len() >= page;
        let query = endpoint.query_mut();
        let fetched = u32::try_from(events.len()).unwrap_or(u32::MAX);
        query.offset = Some(query.offset.unwrap_or(0).saturating_add(fetched));
        Some((events, more.then_some(endpoint)))
    })
    .flat_map(futures_util::stream::iter)
}

impl From<&UserMatch> for GetUserActivity {
    /// The latest events of a user that user search found.
    fn from(found: &UserMatch) -> Self {
        Self::new(found.amplitude_id)
    }
}

/// The activity of the first user `search` finds, or `None` when it finds nobody: user search
/// and user activity chained, two requests of the 360 an hour they share.
pub async fn first_match_activity(
    client: &Client,
    search: &SearchUsers,
) -> Result<Option<UserActivityResponse>, Error> {
    let found = client.send(search).await?;
    match found.matches.first() {
        Some(user) => client.send(&GetUserActivity::from(user)).await.map(Some),
        None => Ok(None),
    }
}
