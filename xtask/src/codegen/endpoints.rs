//! The endpoint crates' endpoint structs (`amp-dashboard`, `amp-export`): each wraps its
//! `amp-model` query, has a builder method per settable parameter, and implements `Endpoint`.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use super::{Api, EndpointSpec, HEADER, ParamSpec, Spec, doc_lines, model_type_module, snake_case};

/// A builder method: its name, argument type, and the statement that applies it.
struct Setter {
    name: String,
    arg: String,
    apply: String,
    doc: String,
}

/// `generated.rs`: the per-endpoint modules of `api` and their re-exports.
pub(super) fn root(spec: &Spec, api: &Api) -> String {
    let mut out = String::from(HEADER);
    let _ = writeln!(
        out,
        "//! {}, from `spec/endpoints.toml`, one module each.\n",
        api.title
    );
    let endpoints = spec
        .endpoints
        .iter()
        .filter(|endpoint| endpoint.api().is_some_and(|of| of.name == api.name));
    for endpoint in endpoints {
        let module = snake_case(&endpoint.name);
        let _ = writeln!(out, "mod {module};\npub use {module}::{};", endpoint.name);
    }
    out
}

/// One endpoint's module.
pub(super) fn generate(spec: &Spec, endpoint: &EndpointSpec, api: &Api) -> Result<String, String> {
    let enums: BTreeSet<&str> = spec.enums.iter().map(|spec| spec.name.as_str()).collect();
    let setters = endpoint
        .params
        .iter()
        .filter(|param| param.set.is_some())
        .map(|param| setter(&endpoint.name, param, &enums))
        .collect::<Result<Vec<_>, _>>()?;
    let mut names = BTreeSet::new();
    let mut model_names: BTreeSet<String> =
        ["Cost", "Query", "QueryPairs", "ValidationError", "Wire"]
            .map(String::from)
            .into();
    // The amp-model modules of the hand-written types used, and the names used from each.
    let mut model_modules: BTreeMap<&str, BTreeSet<String>> = BTreeMap::new();
    for setter in &setters {
        if !names.insert(setter.name.as_str()) {
            return Err(format!(
                "{}: two builder methods are named `{}`",
                endpoint.name, setter.name
            ));
        }
        for word in setter.arg.split(|c: char| !c.is_alphanumeric()) {
            if enums.contains(word) {
                model_names.insert(word.to_owned());
            } else if let Some(module) = model_type_module(word) {
                model_modules
                    .entry(module)
                    .or_default()
                    .insert(word.to_owned());
            }
        }
    }
    for [_, kind] in &endpoint.args {
        for word in kind.split(|c: char| !c.is_alphanumeric()) {
            if enums.contains(word) {
                model_names.insert(word.to_owned());
            } else if let Some(module) = model_type_module(word) {
                model_modules
                    .entry(module)
                    .or_default()
                    .insert(word.to_owned());
            }
        }
    }
    let query = endpoint.query.as_deref().ok_or_else(|| {
        format!(
            "{}: an endpoint of an endpoint crate needs its `query` type",
            endpoint.name
        )
    })?;
    model_modules
        .entry(api.module)
        .or_default()
        .insert(query.to_owned());

    let mut out = String::from(HEADER);
    let _ = writeln!(
        out,
        "//! `{}`, from `spec/endpoints.toml`.\n\nuse std::borrow::Cow;\n",
        endpoint.name
    );
    for (module, names) in model_modules {
        let names: Vec<String> = names.into_iter().collect();
        let _ = writeln!(out, "use amp_model::{module}::{{{}}};", names.join(", "));
    }
    let model_names: Vec<String> = model_names.into_iter().collect();
    let _ = writeln!(out, "use amp_model::{{{}}};", model_names.join(", "));
    let mut transport_names = vec!["ApiFamily", "Endpoint", "RateClass"];
    if endpoint.parse.is_some() {
        transport_names.extend(["DecodeError", "HttpResponse"]);
    }
    if endpoint.method_variant()? != "Get" {
        transport_names.extend(["Body", "Method"]);
    }
    transport_names.sort_unstable();
    let _ = writeln!(
        out,
        "use amp_transport::{{{}}};\n",
        transport_names.join(", ")
    );
    out.push_str(&endpoint_code(endpoint, api, &setters)?);
    Ok(out)
}

fn setter(endpoint: &str, param: &ParamSpec, enums: &BTreeSet<&str>) -> Result<Setter, String> {
    let field = param
        .field
        .as_deref()
        .ok_or_else(|| format!("{endpoint}.{}: `set` needs `field`", param.wire))?;
    let name = param.setter.clone().unwrap_or_else(|| field.to_owned());
    let arg = match (
        param.arg.as_ref().or(param.rust.as_ref()),
        param.kind.as_str(),
    ) {
        (Some(rust), _) => rust.clone(),
        (None, "property" | "string") => "impl Into<String>".to_owned(),
        (None, "int") => "u32".to_owned(),
        (None, "bool") => "bool".to_owned(),
        (None, "event") => "Event".to_owned(),
        (None, "segment") => "Segment".to_owned(),
        (None, kind) if enums.contains(kind) => kind.to_owned(),
        (None, kind) => {
            return Err(format!(
                "{endpoint}.{}: give `arg` for type `{kind}`",
                param.wire
            ));
        }
    };
    let value = if arg.starts_with("impl Into<") {
        format!("{name}.into()")
    } else {
        name.clone()
    };
    let apply = match param.set.as_deref() {
        Some("some") => format!("self.query.{field} = Some({value});"),
        Some("push") => format!("self.query.{field}.push({value});"),
        other => {
            return Err(format!(
                "{endpoint}.{}: `set` is `some` or `push`, not {other:?}",
                param.wire
            ));
        }
    };
    let doc = format!("{} (`{}`).", param.doc.trim_end_matches('.'), param.wire);
    Ok(Setter {
        name,
        arg,
        apply,
        doc,
    })
}

fn endpoint_code(endpoint: &EndpointSpec, api: &Api, setters: &[Setter]) -> Result<String, String> {
    let name = &endpoint.name;
    let query = endpoint.query.as_deref().ok_or_else(|| {
        format!("{name}: an endpoint of an endpoint crate needs its `query` type")
    })?;
    let rate_class = endpoint.rate_class_variant()?;
    let mut out = String::new();
    let _ = writeln!(out, "/// `{}`: {}", endpoint.title()?, endpoint.doc);
    let _ = writeln!(
        out,
        "///\n/// Amplitude's [{}]({}); the project reference, section {}.\n/// Cost: [`Query::cost`] of the query, against the limits of rate class `{rate_class}`.\n///\n/// # Errors\n///\n/// Sending it fails before anything leaves the process when [`Query::validate`] refuses the\n/// query, naming the parameter to fix.",
        api.docs_name, api.docs, endpoint.section
    );
    // An endpoint without arguments also has a `Default`, as clippy expects of `new()`.
    let default = if endpoint.args.is_empty() {
        "Default, "
    } else {
        ""
    };
    let _ = writeln!(
        out,
        "#[derive(Debug, Clone, {default}PartialEq)]\npub struct {name} {{\n    query: {query},\n}}\n"
    );

    let params: Vec<String> = endpoint
        .args
        .iter()
        .map(|[arg, kind]| format!("{arg}: {kind}"))
        .collect();
    let names: Vec<&str> = endpoint.args.iter().map(|[arg, _]| arg.as_str()).collect();
    let _ = writeln!(
        out,
        "impl {name} {{\n/// The endpoint with its required parameters.\npub fn new({}) -> Self {{\nSelf {{ query: {query}::new({}) }}\n}}\n",
        params.join(", "),
        names.join(", ")
    );
    let _ = writeln!(
        out,
        "/// The query, every parameter readable.\npub fn as_query(&self) -> &{query} {{\n&self.query\n}}\n\n\
         /// The query, every parameter writable.\npub fn query_mut(&mut self) -> &mut {query} {{\n&mut self.query\n}}\n"
    );
    for setter in setters {
        doc_lines(&mut out, &setter.doc);
        let _ = writeln!(
            out,
            "#[must_use]\npub fn {0}(mut self, {0}: {1}) -> Self {{\n{2}\nself\n}}\n",
            setter.name, setter.arg, setter.apply
        );
    }
    out.push_str("}\n\n");

    let _ = writeln!(
        out,
        "impl From<{query}> for {name} {{\nfn from(query: {query}) -> Self {{\nSelf {{ query }}\n}}\n}}\n"
    );
    let mut parse = endpoint.parse.as_ref().map_or(String::new(), |function| {
        format!(
            "\nfn parse_response(&self, response: &HttpResponse) -> Result<Self::Response, DecodeError> {{\n{function}(response)\n}}\n"
        )
    });
    let method = endpoint.method_variant()?;
    if method != "Get" {
        let _ = write!(
            parse,
            "\nfn method(&self) -> Method {{\nMethod::{method}\n}}\n\n\
             fn body(&self) -> Option<Body> {{\nWire::body(&self.query).map(Body::from)\n}}\n\n\
             fn repeatable(&self) -> bool {{\n{}\n}}\n",
            endpoint.is_repeatable()
        );
    }
    let _ = writeln!(
        out,
        "impl Endpoint for {name} {{\n\
         type Response = <{query} as Query>::Response;\n\n\
         fn name(&self) -> Cow<'static, str> {{\nCow::Borrowed({name:?})\n}}\n\n\
         fn family(&self) -> ApiFamily {{\nApiFamily::Dashboard\n}}\n\n\
         fn rate_class(&self) -> RateClass {{\nRateClass::{rate_class}\n}}\n\n\
         fn path(&self) -> Cow<'_, str> {{\nself.query.path()\n}}\n\n\
         fn query(&self) -> QueryPairs {{\nself.query.query_pairs()\n}}\n\n\
         fn cost(&self) -> Cost {{\nQuery::cost(&self.query)\n}}\n\n\
         fn validate(&self) -> Result<(), ValidationError> {{\nQuery::validate(&self.query)\n}}\n{parse}}}\n"
    );
    Ok(out)
}
