//! The Taxonomy API through the client against the emulator: the tracking plan's categories,
//! event types and properties created, listed, updated, deleted and restored, with what the
//! data holds listed beside them, Amplitude's statuses, and the requests as Amplitude documents
//! them.

#[path = "support/client.rs"]
mod support;

use amp_emulator::{Config, Emulator};
use amp_project::taxonomy::{
    CreateEventCategory, CreateEventProperty, CreateEventType, CreateGroupProperty,
    CreateUserProperty, DataType, DeleteEventCategory, DeleteEventProperty, DeleteEventType,
    DeleteUserProperty, GetEventCategory, GetEventProperty, GetEventType, GetGroupProperty,
    GetUserProperty, ListEventCategories, ListEventProperties, ListEventTypes, ListGroupProperties,
    ListUserProperties, OverrideScope, RenameEventCategory, RestoreEventProperty, RestoreEventType,
    RestoreUserProperty, UpdateEventProperty, UpdateEventType, UpdateGroupProperty,
    UpdateUserProperty,
};
use amp_transport::{Endpoint as _, Method, RateClass};
use serde_json::json;

use support::client;

/// Two users' events: `Play Song` with `genre`, `Search` with `query`; alice's `plan`.
const EVENTS: &str = concat!(
    r#"{"user_id":"alice","event_type":"Play Song","event_time":"2024-03-01T10:00:00Z","event_properties":{"genre":"jazz"},"user_properties":{"plan":"premium"}}"#,
    "\n",
    r#"{"user_id":"bob","event_type":"Search","event_time":"2024-03-01T11:00:00Z","event_properties":{"query":"bach"}}"#,
    "\n",
);

/// An emulator over [`EVENTS`], kept in `dir`; its writes journalled there with `state`.
async fn emulator(dir: &std::path::Path, state: bool) -> Emulator {
    let data = dir.join("events.jsonl");
    std::fs::write(&data, EVENTS).unwrap();
    let mut builder = Emulator::builder()
        .config(Config::default())
        .data_file(data);
    if state {
        builder = builder.state_dir(dir.join("state"));
    }
    builder.start().await.unwrap()
}

/// The method, path and query, and form body of `endpoint`.
fn written(endpoint: &impl amp_transport::Endpoint) -> (Method, String, String) {
    let request = endpoint.to_request();
    let body = request.body.as_ref().map_or(String::new(), |body| {
        assert_eq!(body.content_type, "application/x-www-form-urlencoded");
        String::from_utf8(body.bytes.to_vec()).unwrap()
    });
    (request.method, request.path_and_query(), body)
}

#[test]
fn requests_are_written_as_amplitude_documents_them() {
    let create = CreateEventType::new("Onboard Start")
        .category("Onboarding")
        .description("My new onboarding event. ");
    assert_eq!(
        written(&create),
        (
            Method::Post,
            "/api/2/taxonomy/event".into(),
            "event_type=Onboard+Start&category=Onboarding&description=My+new+onboarding+event.+"
                .into()
        )
    );
    let property = CreateEventProperty::new("Completed Task")
        .event_type("Onboard Start")
        .description("User completed any onboarding task")
        .data_type(DataType::Boolean)
        .is_required(false);
    assert_eq!(
        written(&property).2,
        "event_property=Completed+Task&event_type=Onboard+Start&description=User+completed+any+onboarding+task&type=boolean&is_required=false"
    );
    let user = CreateUserProperty::new("User Type")
        .data_type(DataType::String)
        .enum_value("Free")
        .enum_value("Standard")
        .enum_value("Premium");
    assert_eq!(
        written(&user).2,
        "user_property=User+Type&type=string&enum_values=Free%2CStandard%2CPremium"
    );
    let update = UpdateUserProperty::new("gp:user_type")
        .new_user_property_value("subscription_type")
        .description("The user's subscription type")
        .data_type(DataType::String);
    let (method, path, body) = written(&update);
    assert_eq!(
        (method, path.as_str()),
        (Method::Put, "/api/2/taxonomy/user-property/gp%3Auser_type")
    );
    assert_eq!(
        body,
        "new_user_property_value=subscription_type&description=The+user%27s+subscription+type&type=string"
    );
    assert_eq!(
        written(&RenameEventCategory::new(412_941, "Converted")),
        (
            Method::Put,
            "/api/2/taxonomy/category/412941".into(),
            "category_name=Converted".into()
        )
    );
    assert_eq!(
        written(&DeleteEventProperty::new("Completed Task").event_type("Onboarding Start")),
        (
            Method::Delete,
            "/api/2/taxonomy/event-property/Completed%20Task".into(),
            "event_type=Onboarding+Start".into()
        )
    );
    // A read's scope goes in the query string.
    assert_eq!(
        written(&GetGroupProperty::new("grp:Group Property 1").group_type("Group 1")).1,
        "/api/2/taxonomy/group-property/grp%3AGroup%20Property%201?group_type=Group%201"
    );
    assert_eq!(
        written(&ListEventTypes::new().show_deleted(true)).1,
        "/api/2/taxonomy/event?showDeleted=true"
    );
    // Reads cost 1 and writes 2, against the Taxonomy API's own budget.
    for (endpoint, cost) in [
        (create.to_request(), 2),
        (ListEventTypes::new().to_request(), 1),
    ] {
        assert_eq!(endpoint.rate_class, RateClass::Taxonomy);
        assert_eq!(endpoint.cost.total(), cost);
    }
    assert!(!create.repeatable(), "a create is never sent twice");
    assert!(RenameEventCategory::new(1, "x").repeatable());
    // An empty name is refused before anything is sent.
    let refused = CreateEventCategory::new(" ").validate().unwrap_err();
    assert_eq!(refused.param(), "category_name");
}

#[tokio::test]
async fn categories_are_created_renamed_and_deleted_with_their_event_types_following() {
    let dir = tempfile::tempdir().unwrap();
    let emulator = emulator(dir.path(), false).await;
    let client = client(&emulator);
    client
        .send(&CreateEventCategory::new("Attribution"))
        .await
        .unwrap();
    let taken = client
        .send(&CreateEventCategory::new("Attribution"))
        .await
        .unwrap_err();
    assert_eq!(taken.status(), Some(409), "{taken}");
    assert!(taken.to_string().contains("already exists"), "{taken}");
    let category = client
        .send(&GetEventCategory::new("Attribution"))
        .await
        .unwrap()
        .data;
    assert_eq!(category.name, "Attribution");
    client
        .send(&CreateEventType::new("Install").category("Attribution"))
        .await
        .unwrap();
    client
        .send(&RenameEventCategory::new(category.id, "Acquisition"))
        .await
        .unwrap();
    let install = client
        .send(&GetEventType::new("Install"))
        .await
        .unwrap()
        .data;
    assert_eq!(install.category.unwrap().name, "Acquisition");
    let listed = client.send(&ListEventCategories::new()).await.unwrap().data;
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].name, "Acquisition");
    client
        .send(&DeleteEventCategory::new(category.id))
        .await
        .unwrap();
    let gone = client
        .send(&DeleteEventCategory::new(category.id))
        .await
        .unwrap_err();
    assert_eq!(gone.status(), Some(409), "{gone}");
    let unknown = client
        .send(&GetEventCategory::new("Acquisition"))
        .await
        .unwrap_err();
    assert_eq!(unknown.status(), Some(400), "{unknown}");
    assert!(unknown.to_string().contains("Not found"), "{unknown}");
    let install = client
        .send(&GetEventType::new("Install"))
        .await
        .unwrap()
        .data;
    assert_eq!(install.category, None);
}

#[tokio::test]
async fn event_types_seen_and_planned_are_listed_deleted_and_restored_as_documented() {
    let dir = tempfile::tempdir().unwrap();
    let emulator = emulator(dir.path(), false).await;
    let client = client(&emulator);
    let names = |types: Vec<amp_project::taxonomy::EventType>| -> Vec<String> {
        types.into_iter().map(|item| item.event_type).collect()
    };
    // The data's event types are listed before anything is planned.
    let listed = client.send(&ListEventTypes::new()).await.unwrap().data;
    assert_eq!(names(listed), ["Play Song", "Search"]);
    client
        .send(&CreateEventType::new("Onboard Start").description("Planned"))
        .await
        .unwrap();
    let again = client
        .send(&CreateEventType::new("Onboard Start"))
        .await
        .unwrap_err();
    assert_eq!(again.status(), Some(409), "{again}");
    client
        .send(
            &UpdateEventType::new("Play Song")
                .display_name("Play")
                .is_hidden_from_timeline(true),
        )
        .await
        .unwrap();
    let play = client
        .send(&GetEventType::new("Play Song"))
        .await
        .unwrap()
        .data;
    assert_eq!(play.display_name.as_deref(), Some("Play"));
    assert_eq!(play.other["is_hidden_from_timeline"], json!(true));
    // Not in the plan or the data: the update is a 409.
    let missing = client
        .send(&UpdateEventType::new("Nothing").description("x"))
        .await
        .unwrap_err();
    assert_eq!(missing.status(), Some(409), "{missing}");
    // A planned type without data leaves the plan; a live one is marked deleted.
    client
        .send(&DeleteEventType::new("Onboard Start"))
        .await
        .unwrap();
    client.send(&DeleteEventType::new("Search")).await.unwrap();
    let listed = client.send(&ListEventTypes::new()).await.unwrap().data;
    assert_eq!(names(listed), ["Play Song"]);
    let with_deleted = client
        .send(&ListEventTypes::new().show_deleted(true))
        .await
        .unwrap()
        .data;
    assert_eq!(names(with_deleted), ["Play Song", "Search"]);
    let twice = client
        .send(&DeleteEventType::new("Search"))
        .await
        .unwrap_err();
    assert_eq!(twice.status(), Some(400), "{twice}");
    let planned_gone = client
        .send(&RestoreEventType::new("Onboard Start"))
        .await
        .unwrap_err();
    assert_eq!(planned_gone.status(), Some(400), "{planned_gone}");
    client.send(&RestoreEventType::new("Search")).await.unwrap();
    let not_deleted = client
        .send(&RestoreEventType::new("Search"))
        .await
        .unwrap_err();
    assert_eq!(not_deleted.status(), Some(409), "{not_deleted}");
    let listed = client.send(&ListEventTypes::new()).await.unwrap().data;
    assert_eq!(names(listed), ["Play Song", "Search"]);
}

#[tokio::test]
async fn event_properties_are_shared_or_overridden_on_an_event_type() {
    let dir = tempfile::tempdir().unwrap();
    let emulator = emulator(dir.path(), false).await;
    let client = client(&emulator);
    let names = |items: Vec<amp_project::taxonomy::EventProperty>| -> Vec<String> {
        items.into_iter().map(|item| item.event_property).collect()
    };
    let shared = client.send(&ListEventProperties::new()).await.unwrap().data;
    assert_eq!(names(shared), ["genre", "query"]);
    let on_play = client
        .send(&ListEventProperties::new().event_type("Play Song"))
        .await
        .unwrap()
        .data;
    assert_eq!(names(on_play), ["genre"]);
    client
        .send(
            &CreateEventProperty::new("genre")
                .description("The song's genre")
                .data_type(DataType::Enum)
                .enum_value("jazz")
                .enum_value("rock"),
        )
        .await
        .unwrap();
    let genre = client
        .send(&GetEventProperty::new("genre").event_type("Play Song"))
        .await
        .unwrap()
        .data;
    assert_eq!(genre.event_type.as_deref(), Some("Play Song"));
    assert_eq!(genre.schema.data_type, Some(DataType::Enum));
    assert_eq!(
        genre.schema.enum_values,
        Some(vec!["jazz".to_owned(), "rock".to_owned()])
    );
    // An override on Play Song; the shared property stays.
    client
        .send(
            &UpdateEventProperty::new("genre")
                .event_type("Play Song")
                .override_scope(OverrideScope::Override)
                .description("Play Song's genre")
                .is_required(true),
        )
        .await
        .unwrap();
    let overridden = client
        .send(&GetEventProperty::new("genre").event_type("Play Song"))
        .await
        .unwrap()
        .data;
    assert_eq!(
        overridden.schema.description.as_deref(),
        Some("Play Song's genre")
    );
    assert!(overridden.is_required);
    let shared = client
        .send(&GetEventProperty::new("genre"))
        .await
        .unwrap()
        .data;
    assert_eq!(
        shared.schema.description.as_deref(),
        Some("The song's genre")
    );
    assert!(!shared.is_required);
    let exists = client
        .send(&CreateEventProperty::new("genre").event_type("Play Song"))
        .await
        .unwrap_err();
    assert_eq!(exists.status(), Some(409), "{exists}");
    // `shared` removes the override and changes the shared property.
    client
        .send(
            &UpdateEventProperty::new("genre")
                .event_type("Play Song")
                .override_scope(OverrideScope::Shared)
                .description("Any genre"),
        )
        .await
        .unwrap();
    let after = client
        .send(&GetEventProperty::new("genre").event_type("Play Song"))
        .await
        .unwrap()
        .data;
    assert_eq!(after.schema.description.as_deref(), Some("Any genre"));
    assert!(!after.is_required);
    // Deleted (it is live) and restored.
    client
        .send(&DeleteEventProperty::new("query"))
        .await
        .unwrap();
    let shared = client.send(&ListEventProperties::new()).await.unwrap().data;
    assert_eq!(names(shared), ["genre"]);
    client
        .send(&RestoreEventProperty::new("query"))
        .await
        .unwrap();
    let shared = client.send(&ListEventProperties::new()).await.unwrap().data;
    assert_eq!(names(shared), ["genre", "query"]);
}

#[tokio::test]
async fn user_properties_carry_their_prefix_and_amplitudes_own_stay() {
    let dir = tempfile::tempdir().unwrap();
    let emulator = emulator(dir.path(), false).await;
    let client = client(&emulator);
    let users = client.send(&ListUserProperties::new()).await.unwrap().data;
    let names: Vec<&str> = users
        .iter()
        .map(|item| item.user_property.as_str())
        .collect();
    assert!(names.contains(&"country"), "{names:?}");
    assert!(names.contains(&"gp:plan"), "{names:?}");
    client
        .send(
            &CreateUserProperty::new("User Type")
                .data_type(DataType::String)
                .classification("PII"),
        )
        .await
        .unwrap();
    let planned = client
        .send(&GetUserProperty::new("gp:User Type"))
        .await
        .unwrap()
        .data;
    assert_eq!(planned.schema.classifications, ["PII"]);
    client
        .send(&UpdateUserProperty::new("gp:User Type").new_user_property_value("tier"))
        .await
        .unwrap();
    let renamed = client
        .send(&GetUserProperty::new("gp:tier"))
        .await
        .unwrap()
        .data;
    assert_eq!(renamed.schema.data_type, Some(DataType::String));
    let old = client
        .send(&GetUserProperty::new("gp:User Type"))
        .await
        .unwrap_err();
    assert_eq!(old.status(), Some(404), "{old}");
    let own = client
        .send(&DeleteUserProperty::new("country"))
        .await
        .unwrap_err();
    assert_eq!(own.status(), Some(409), "{own}");
    client
        .send(&DeleteUserProperty::new("gp:tier"))
        .await
        .unwrap();
    let shown = client
        .send(&ListUserProperties::new().show_deleted(true))
        .await
        .unwrap()
        .data;
    assert!(
        shown.iter().all(|item| item.user_property != "gp:tier"),
        "a planned property without data leaves the plan"
    );
    let gone = client
        .send(&RestoreUserProperty::new("gp:tier"))
        .await
        .unwrap_err();
    assert_eq!(gone.status(), Some(404), "{gone}");
    // A live one is marked deleted, listed with `showDeleted`, and restored.
    client
        .send(&DeleteUserProperty::new("gp:plan"))
        .await
        .unwrap();
    let listed = client.send(&ListUserProperties::new()).await.unwrap().data;
    assert!(listed.iter().all(|item| item.user_property != "gp:plan"));
    client
        .send(&RestoreUserProperty::new("gp:plan"))
        .await
        .unwrap();
    client.send(&GetUserProperty::new("gp:plan")).await.unwrap();
}

#[tokio::test]
async fn group_properties_are_planned_on_their_group_type() {
    let dir = tempfile::tempdir().unwrap();
    let emulator = emulator(dir.path(), false).await;
    let client = client(&emulator);
    client
        .send(
            &CreateGroupProperty::new("Seats")
                .group_type("Company")
                .data_type(DataType::Number),
        )
        .await
        .unwrap();
    client
        .send(
            &UpdateGroupProperty::new("grp:Seats")
                .group_type("Company")
                .description("Seats bought"),
        )
        .await
        .unwrap();
    let groups = client
        .send(&ListGroupProperties::new().group_type("Company"))
        .await
        .unwrap()
        .data;
    assert_eq!(groups.len(), 1);
    assert_eq!(groups[0].group_property, "grp:Seats");
    assert_eq!(groups[0].group_type.as_deref(), Some("Company"));
    assert_eq!(
        groups[0].schema.description.as_deref(),
        Some("Seats bought")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_plan_outlives_a_restart_with_state() {
    let dir = tempfile::tempdir().unwrap();
    let first = emulator(dir.path(), true).await;
    let client_of_first = client(&first);
    client_of_first
        .send(&CreateEventCategory::new("Onboarding"))
        .await
        .unwrap();
    client_of_first
        .send(&CreateEventType::new("Onboard Start").category("Onboarding"))
        .await
        .unwrap();
    client_of_first
        .send(&DeleteEventType::new("Search"))
        .await
        .unwrap();
    first.stop().await.unwrap();
    let second = emulator(dir.path(), true).await;
    let client = client(&second);
    let planned = client
        .send(&GetEventType::new("Onboard Start"))
        .await
        .unwrap()
        .data;
    assert_eq!(planned.category.unwrap().name, "Onboarding");
    let listed = client.send(&ListEventTypes::new()).await.unwrap().data;
    let names: Vec<&str> = listed.iter().map(|item| item.event_type.as_str()).collect();
    assert_eq!(names, ["Onboard Start", "Play Song"]);
}

#[tokio::test]
async fn the_governor_keeps_taxonomy_cost_in_flight_within_4() {
    use amp_model::Limits;
    use amp_transport::Governor;
    use std::time::Duration;
    let rules = Limits::default().rules(RateClass::Taxonomy, 2);
    assert_eq!((rules.weight, rules.max_cost_in_flight), (2, Some(4)));
    assert_eq!(
        (rules.windows[0].ceiling, rules.windows[0].span),
        (7_200, Duration::from_secs(3600))
    );
    let governor = Governor::new(Limits::default());
    let first = governor.acquire(RateClass::Taxonomy, 2).await.unwrap();
    let _second = governor.acquire(RateClass::Taxonomy, 2).await.unwrap();
    // A third write would make cost 6 in flight: it waits until one is answered.
    let third = tokio::time::timeout(
        Duration::from_millis(200),
        governor.acquire(RateClass::Taxonomy, 2),
    )
    .await;
    assert!(third.is_err(), "a third write is admitted at once");
    drop(first);
    let _third = tokio::time::timeout(
        Duration::from_secs(5),
        governor.acquire(RateClass::Taxonomy, 2),
    )
    .await
    .expect("admitted once a write is answered")
    .unwrap();
    // The Dashboard budget is another's: a query is admitted meanwhile.
    let _query = governor.acquire(RateClass::Cost, 1).await.unwrap();
}
