//! `amp-model`'s value sets, parameter names and endpoint catalogue, and the list of the
//! per-endpoint query modules.

use std::collections::BTreeSet;
use std::fmt::Write as _;

use super::{
    EndpointSpec, EnumSpec, HEADER, Spec, WireKind, doc_lines, param_constant, snake_case,
};

/// Parameter kinds that are not enums; see the comment in the spec.
const PLAIN_KINDS: &[&str] = &[
    "date", "hour", "int", "number", "string", "bool", "property", "event", "segment", "brackets",
    "json", "datetime", "day",
];

/// `Display`, `FromStr` and serde for an enum sent as a string; `NAME` is the enum.
const STRING_TRAITS: &str = "
impl fmt::Display for NAME {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(self.as_str())
    }
}

impl FromStr for NAME {
    type Err = std::convert::Infallible;
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Ok(Self::from(text))
    }
}

impl Serialize for NAME {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for NAME {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        crate::wire_enum::deserialize_str(deserializer)
    }
}

impl crate::wire::Param for NAME {
    fn to_wire(&self) -> Option<String> {
        Some(self.to_string())
    }

    fn from_wire(text: &str) -> Result<Self, crate::wire::Problem> {
        crate::wire::decode::known(Self::from(text), Self::KNOWN)
    }
}

impl crate::wire::ServerValue for NAME {
    const KNOWN: &'static [Self] = Self::KNOWN;

    fn name(&self) -> Option<&'static str> {
        Self::name(self)
    }
}
";

/// `Display`, `FromStr` and serde for an enum sent as an integer; `NAME` is the enum.
const INT_TRAITS: &str = "
impl fmt::Display for NAME {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.as_i64(), formatter)
    }
}

impl FromStr for NAME {
    type Err = std::num::ParseIntError;
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        text.trim().parse::<i64>().map(Self::from)
    }
}

impl Serialize for NAME {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_i64(self.as_i64())
    }
}

impl<'de> Deserialize<'de> for NAME {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        i64::deserialize(deserializer).map(Self::from)
    }
}

impl crate::wire::Param for NAME {
    fn to_wire(&self) -> Option<String> {
        Some(self.to_string())
    }

    fn from_wire(text: &str) -> Result<Self, crate::wire::Problem> {
        let value = text.parse::<i64>().map_err(|_| crate::wire::Problem::WrongType { expected: \"a whole number\" })?;
        crate::wire::decode::known(Self::from(value), Self::KNOWN)
    }
}

impl crate::wire::ServerValue for NAME {
    const KNOWN: &'static [Self] = Self::KNOWN;

    fn name(&self) -> Option<&'static str> {
        Self::name(self)
    }
}
";

pub(super) fn generate(spec: &Spec) -> Result<String, String> {
    let mut out = String::from(HEADER);
    out.push_str(
        "//! Server value sets, parameter names, the endpoint catalogue and the query types, from\n//! `spec/endpoints.toml`.\n\n\
         #![allow(clippy::unreadable_literal)]\n\n\
         use std::fmt;\nuse std::str::FromStr;\n\n\
         use serde::{Deserialize, Deserializer, Serialize, Serializer};\n\n",
    );
    let mut names = BTreeSet::new();
    for spec in &spec.enums {
        if !names.insert(spec.name.as_str()) {
            return Err(format!("enum `{}` is defined twice", spec.name));
        }
        out.push_str(&enum_code(spec)?);
    }
    out.push_str(&catalogue_code(&spec.endpoints, &names)?);
    out.push_str(&param_names(&spec.endpoints));
    for endpoint in &spec.endpoints {
        let module = snake_case(&endpoint.name);
        let query = endpoint
            .query
            .as_deref()
            .ok_or_else(|| format!("{}: give the endpoint's `query` type", endpoint.name))?;
        let _ = writeln!(out, "mod {module};\npub use {module}::{query};");
    }
    Ok(out)
}

/// `pub mod param`: one constant per wire name, which hand-written code uses instead of
/// spelling the name.
fn param_names(endpoints: &[EndpointSpec]) -> String {
    let mut users: std::collections::BTreeMap<&str, Vec<&str>> = std::collections::BTreeMap::new();
    for endpoint in endpoints {
        for param in &endpoint.params {
            users.entry(&param.wire).or_default().push(&endpoint.name);
        }
    }
    let mut out = String::from(
        "/// The wire name of every request parameter, for validation messages and decoders.\npub mod param {\n",
    );
    for (wire, endpoints) in users {
        let _ = writeln!(
            out,
            "/// `{wire}`, taken by `{}`.\npub const {}: &str = {wire:?};",
            endpoints.join("`, `"),
            param_constant(wire)
        );
    }
    out.push_str("}\n\n");
    out
}

fn enum_code(spec: &EnumSpec) -> Result<String, String> {
    let name = &spec.name;
    let mut variants = BTreeSet::new();
    let mut wires = Vec::new();
    for value in &spec.values {
        if !variants.insert(value.variant.as_str()) || value.variant == "Unknown" {
            return Err(format!(
                "{name}: variant `{}` is repeated or reserved",
                value.variant
            ));
        }
        let wire = match (spec.wire, &value.wire) {
            (WireKind::String, toml::Value::String(text)) => format!("{text:?}"),
            (WireKind::Int, toml::Value::Integer(number)) => number.to_string(),
            (_, other) => {
                return Err(format!(
                    "{name}::{}: wire value {other} does not match `wire`",
                    value.variant
                ));
            }
        };
        if wires.contains(&wire) {
            return Err(format!("{name}: wire value {wire} is repeated"));
        }
        wires.push(wire);
    }
    let (unknown_type, wire_type) = match spec.wire {
        WireKind::String => ("String", "&str"),
        WireKind::Int => ("i64", "i64"),
    };

    let mut out = String::new();
    doc_lines(&mut out, &spec.doc);
    let _ = writeln!(
        out,
        "#[derive(Debug, Clone, PartialEq, Eq, Hash)]\n#[non_exhaustive]\npub enum {name} {{"
    );
    for value in &spec.values {
        doc_lines(&mut out, &value.doc);
        let _ = writeln!(out, "{},", value.variant);
    }
    let _ = writeln!(
        out,
        "/// A value this SDK does not know yet, kept as sent.\nUnknown({unknown_type}),\n}}\n"
    );

    let known: Vec<String> = spec
        .values
        .iter()
        .map(|v| format!("Self::{}", v.variant))
        .collect();
    let _ = writeln!(
        out,
        "impl {name} {{\n/// Every value this SDK knows, in the spec's order.\npub const KNOWN: &[Self] = &[{}];\n",
        known.join(", ")
    );
    let (accessor, unknown_arm) = match spec.wire {
        WireKind::String => ("as_str", "Self::Unknown(value) => value"),
        WireKind::Int => ("as_i64", "Self::Unknown(value) => *value"),
    };
    let _ = writeln!(
        out,
        "/// The value as Amplitude writes it.\npub fn {accessor}(&self) -> {wire_type} {{\nmatch self {{"
    );
    for (value, wire) in spec.values.iter().zip(&wires) {
        let _ = writeln!(out, "Self::{} => {wire},", value.variant);
    }
    let _ = writeln!(out, "{unknown_arm},\n}}\n}}\n");
    out.push_str(&name_code(spec)?);

    let _ = writeln!(
        out,
        "impl From<{wire_type}> for {name} {{\nfn from(value: {wire_type}) -> Self {{\nmatch value {{"
    );
    for (value, wire) in spec.values.iter().zip(&wires) {
        let _ = writeln!(out, "{wire} => Self::{},", value.variant);
    }
    let other = match spec.wire {
        WireKind::String => "other => Self::Unknown(other.to_owned())",
        WireKind::Int => "other => Self::Unknown(other)",
    };
    let _ = writeln!(out, "{other},\n}}\n}}\n}}\n");

    let traits = match spec.wire {
        WireKind::String => STRING_TRAITS,
        WireKind::Int => INT_TRAITS,
    };
    out.push_str(&traits.replace("NAME", name));
    Ok(out)
}

/// `fn name`: the word people type for each value.
fn name_code(spec: &EnumSpec) -> Result<String, String> {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "/// The word people type for the value (`weekly` for 7); `None` for an unknown value.\npub fn name(&self) -> Option<&'static str> {{\nmatch self {{"
    );
    for value in &spec.values {
        let name = match (&value.name, &value.wire) {
            (Some(name), _) => name.clone(),
            (None, toml::Value::String(text)) => text.clone(),
            (None, _) => {
                return Err(format!(
                    "{}::{}: an int value needs a `name`",
                    spec.name, value.variant
                ));
            }
        };
        let _ = writeln!(out, "Self::{} => Some({name:?}),", value.variant);
    }
    let _ = writeln!(out, "Self::Unknown(_) => None,\n}}\n}}\n}}\n");
    Ok(out)
}

fn catalogue_code(endpoints: &[EndpointSpec], enums: &BTreeSet<&str>) -> Result<String, String> {
    let mut out = String::from(
        "/// The endpoint catalogue, one constant per endpoint.\npub mod catalogue {\nuse crate::catalogue::{ApiFamily, EndpointSpec, Location, Method, ParamSpec, RateClass};\n\n",
    );
    let mut constants = Vec::new();
    for endpoint in endpoints {
        let family = match endpoint.family.as_str() {
            "dashboard" => "Dashboard",
            "profile" => "Profile",
            other => return Err(format!("{}: unknown family `{other}`", endpoint.name)),
        };
        let rate_class = endpoint.rate_class_variant()?;
        let mut seen = BTreeSet::new();
        let mut params = String::new();
        for param in &endpoint.params {
            if !seen.insert(param.wire.as_str()) {
                return Err(format!(
                    "{}: parameter `{}` is repeated",
                    endpoint.name, param.wire
                ));
            }
            if !PLAIN_KINDS.contains(&param.kind.as_str()) && !enums.contains(param.kind.as_str()) {
                return Err(format!(
                    "{}.{}: unknown type `{}`",
                    endpoint.name, param.wire, param.kind
                ));
            }
            let default = param
                .default
                .as_ref()
                .map_or("None".to_owned(), |text| format!("Some({text:?})"));
            let _ = writeln!(
                params,
                "ParamSpec {{ wire: {:?}, kind: {:?}, location: Location::{}, required: {}, list: {}, default: {default}, doc: {:?} }},",
                param.wire,
                param.kind,
                param
                    .location_variant()
                    .map_err(|error| format!("{}.{error}", endpoint.name))?,
                param.required,
                param.list || param.repeat,
                param.doc
            );
        }
        let constant = param_constant(&endpoint.name);
        let _ = writeln!(out, "/// `{}`: {}", endpoint.path, endpoint.doc);
        let _ = writeln!(
            out,
            "pub const {constant}: EndpointSpec = EndpointSpec {{ name: {:?}, path: {:?}, family: ApiFamily::{family}, api: {:?}, rate_class: RateClass::{rate_class}, method: Method::{}, repeatable: {}, section: {:?}, doc: {:?}, params: &[{params}] }};\n",
            endpoint.name,
            endpoint.path,
            endpoint.api.as_deref().unwrap_or(&endpoint.family),
            endpoint.method_variant()?,
            endpoint.is_repeatable(),
            endpoint.section,
            endpoint.doc
        );
        constants.push(constant);
    }
    let _ = writeln!(
        out,
        "/// Every endpoint, in the spec's order.\npub const ENDPOINTS: &[EndpointSpec] = &[{}];\n}}",
        constants.join(", ")
    );
    Ok(out)
}
