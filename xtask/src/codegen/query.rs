//! One `amp-model` query per endpoint: the struct (a field per spec `field`), its constructor
//! from the required fields, and its `Wire` impl (path, encoding, strict decoding).

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use super::{EndpointSpec, HEADER, ParamSpec, Spec, doc_lines, model_type_module, param_constant};

/// One field of the query: the parameters it is read from, in spec order.
struct Field<'a> {
    name: &'a str,
    params: Vec<&'a ParamSpec>,
    rust: String,
}

impl Field<'_> {
    fn first(&self) -> &ParamSpec {
        self.params[0]
    }

    fn required(&self) -> bool {
        self.params.iter().any(|param| param.required)
    }

    fn names(&self) -> String {
        let names: Vec<String> = self
            .params
            .iter()
            .map(|param| format!("crate::param::{}", param_constant(&param.wire)))
            .collect();
        names.join(", ")
    }
}

pub(super) fn generate(spec: &Spec, endpoint: &EndpointSpec) -> Result<String, String> {
    let enums: BTreeSet<&str> = spec.enums.iter().map(|spec| spec.name.as_str()).collect();
    let name = &endpoint.name;
    let query = endpoint
        .query
        .as_deref()
        .ok_or_else(|| format!("{name}: give the endpoint's `query` type"))?;
    let fields = fields(endpoint, &enums)?;

    let mut out = String::from(HEADER);
    let _ = writeln!(
        out,
        "//! The query of `{name}`, from `spec/endpoints.toml`.\n\nuse std::borrow::Cow;\n"
    );
    out.push_str(&imports(&fields, &enums));

    out.push_str(&struct_code(endpoint, query, &fields)?);
    out.push_str(&constructor_code(query, &fields));
    let pairs = encode_code(&fields, ParamSpec::in_query);
    let body = body_code(&fields);
    let decode = decode_code(endpoint, &fields)?;
    let checks = check_code(&fields, &enums);
    let uses_path = fields.iter().any(|field| field.first().in_path());
    let uses_pairs = endpoint.params.iter().any(ParamSpec::in_query);
    let uses_body = endpoint
        .params
        .iter()
        .any(|param| param.in_json() || param.in_form());
    let path_arg = if uses_path { "path" } else { "_path" };
    let pairs_arg = if uses_pairs { "pairs" } else { "_pairs" };
    let body_arg = if uses_body { "body" } else { "_body" };
    let mut replaced = String::new();
    for field in fields.iter().filter(|field| field.first().in_path()) {
        let _ = write!(
            replaced,
            ".replace(\"{{{}}}\", &crate::wire::path_segment(&self.{}))",
            field.first().wire,
            field.name
        );
    }
    let path_code = if replaced.is_empty() {
        "Cow::Borrowed(Self::SPEC.path)".to_owned()
    } else {
        format!("Cow::Owned(Self::SPEC.path{replaced})")
    };
    let constant = param_constant(name);
    let _ = writeln!(
        out,
        "impl Wire for {query} {{\n\
         const SPEC: &'static EndpointSpec = &crate::catalogue::{constant};\n\n\
         fn path(&self) -> Cow<'static, str> {{\n{path_code}\n}}\n\n\
         fn query_pairs(&self) -> QueryPairs {{\n{pairs}\n}}\n\n{body}\
         fn check_values(&self) -> Result<(), ValidationError> {{\n{checks}\n}}\n\n\
         fn from_wire({path_arg}: &str, {pairs_arg}: &[(String, String)], {body_arg}: &[u8]) -> Result<Self, ParamError> {{\n{decode}\n}}\n}}"
    );
    Ok(out)
}

/// The struct, its docs with the parameter table, and a field per spec `field`.
fn struct_code(endpoint: &EndpointSpec, query: &str, fields: &[Field]) -> Result<String, String> {
    let mut out = String::new();
    let _ = writeln!(out, "/// `{}`: {}", endpoint.title()?, endpoint.doc);
    out.push_str("///\n/// | parameter | type | required | Amplitude's default | field | meaning |\n/// | --- | --- | --- | --- | --- | --- |\n");
    for param in &endpoint.params {
        let _ = writeln!(
            out,
            "/// | `{}` | {} | {} | {} | {} | {} |",
            param.wire,
            param.kind,
            if param.required { "yes" } else { "" },
            param
                .default
                .as_ref()
                .map_or(String::new(), |default| format!("`{default}`")),
            param
                .field
                .as_ref()
                .map_or("(never sent)".to_owned(), |field| format!("`{field}`")),
            param.doc.replace('|', "\\|"),
        );
    }
    let default = if fields.iter().any(Field::required) {
        ""
    } else {
        "Default, "
    };
    let _ = writeln!(
        out,
        "#[derive(Debug, Clone, {default}PartialEq)]\n#[non_exhaustive]\npub struct {query} {{"
    );
    for field in fields {
        let docs: Vec<String> = field
            .params
            .iter()
            .map(|param| {
                let default = param.default.as_ref().map_or(String::new(), |default| {
                    format!(" Amplitude's default: `{default}`.")
                });
                format!("`{}`: {}{default}", param.wire, param.doc)
            })
            .collect();
        doc_lines(&mut out, &docs.join(" "));
        let _ = writeln!(out, "pub {}: {},", field.name, field.rust);
    }
    out.push_str("}\n\n");

    Ok(out)
}

/// The constructor, taking the required fields in order.
fn constructor_code(query: &str, fields: &[Field]) -> String {
    let mut out = String::new();
    let required: Vec<&Field> = fields.iter().filter(|field| field.required()).collect();
    let args: Vec<String> = required
        .iter()
        .map(|field| match field.rust.as_str() {
            "String" => format!("{}: impl Into<String>", field.name),
            rust => format!("{}: {rust}", field.name),
        })
        .collect();
    let inits: Vec<String> = fields
        .iter()
        .map(|field| match (field.required(), field.rust.as_str()) {
            (true, "String") => format!("{0}: {0}.into()", field.name),
            (true, _) => field.name.to_owned(),
            (false, rust) if rust.starts_with("Option<") => format!("{}: None", field.name),
            (false, rust) if rust.starts_with("Vec<") => format!("{}: Vec::new()", field.name),
            (false, "bool") => format!("{}: false", field.name),
            (false, rust) => format!("{}: <{rust}>::default()", field.name),
        })
        .collect();
    let _ = writeln!(
        out,
        "impl {query} {{\n/// The query with its required parameters; the others are unset.\npub fn new({}) -> Self {{\nSelf {{ {} }}\n}}\n}}\n",
        args.join(", "),
        inits.join(", ")
    );

    out
}

/// An expression of the `QueryPairs` of the fields whose parameters travel where `travels`
/// says, in spec order.
fn encode_code(fields: &[Field], travels: fn(&ParamSpec) -> bool) -> String {
    let mut encode = String::new();
    for field in fields {
        let first = field.first();
        if !travels(first) {
            continue;
        }
        if field.params.len() > 1 {
            let _ = writeln!(
                encode,
                "pairs.put_composite([{}], &self.{});",
                field.names(),
                field.name
            );
            continue;
        }
        let constant = format!("crate::param::{}", param_constant(&first.wire));
        // A form's booleans are written either way: there, false is a value to set, not an
        // absent flag.
        let put = if first.in_form() && first.kind == "bool" {
            "push"
        } else {
            "put"
        };
        let statement = if first.repeat {
            format!(
                "for value in &self.{} {{ pairs.put({constant}, value); }}",
                field.name
            )
        } else if field.rust.starts_with("Option<") {
            format!(
                "if let Some(value) = &self.{} {{ pairs.{put}({constant}, value); }}",
                field.name
            )
        } else {
            format!("pairs.put({constant}, &self.{});", field.name)
        };
        let _ = writeln!(encode, "{statement}");
    }
    if encode.is_empty() {
        "QueryPairs::new()".to_owned()
    } else {
        format!("let mut pairs = QueryPairs::new();\n{encode}pairs")
    }
}

/// `fn body`, for a write whose parameters travel in a JSON or form body; empty otherwise.
fn body_code(fields: &[Field]) -> String {
    if fields.iter().any(|field| field.first().in_form()) {
        return format!(
            "fn body(&self) -> Option<crate::wire::WireBody> {{\n\
             Some(crate::wire::WireBody::Form({{\n{}\n}}))\n}}\n\n",
            encode_code(fields, ParamSpec::in_form)
        );
    }
    let mut inserts = String::new();
    for field in fields.iter().filter(|field| field.first().in_json()) {
        let constant = format!("crate::param::{}", param_constant(&field.first().wire));
        let insert =
            format!("object.insert({constant}.to_owned(), crate::wire::json_value(value));");
        let _ = writeln!(
            inserts,
            "{}",
            if field.rust.starts_with("Option<") {
                format!("if let Some(value) = &self.{} {{ {insert} }}", field.name)
            } else if field.rust.starts_with("Vec<") && !field.required() {
                format!(
                    "if !self.{0}.is_empty() {{ let value = &self.{0}; {insert} }}",
                    field.name
                )
            } else {
                insert.replace("(value)", &format!("(&self.{})", field.name))
            }
        );
    }
    if inserts.is_empty() {
        return String::new();
    }
    format!(
        "fn body(&self) -> Option<crate::wire::WireBody> {{\n\
         let mut object = serde_json::Map::new();\n{inserts}\
         Some(crate::wire::WireBody::Json(serde_json::Value::Object(object)))\n}}\n\n"
    )
}

/// The body of `check_values`: every enum field's value must be one Amplitude defines, and a
/// parameter with `allowed` values one of those.
fn check_code(fields: &[Field], enums: &BTreeSet<&str>) -> String {
    let mut out = String::new();
    for field in fields {
        let first = field.first();
        let constant = param_constant(&first.wire);
        let call = if field.params.len() > 1 || first.repeat || first.list {
            continue;
        } else if enums.contains(first.kind.as_str()) {
            format!(
                "crate::wire::check_known(crate::param::{constant}, value, {}::KNOWN)?;",
                first.kind
            )
        } else if !first.allowed.is_empty() {
            format!(
                "crate::wire::check_allowed(crate::param::{constant}, value, &{:?})?;",
                first.allowed
            )
        } else {
            continue;
        };
        let _ = if field.rust.starts_with("Option<") {
            writeln!(
                out,
                "if let Some(value) = &self.{} {{ {call} }}",
                field.name
            )
        } else {
            writeln!(out, "{{ let value = &self.{}; {call} }}", field.name)
        };
    }
    out.push_str("Ok(())");
    out
}

/// The body of `from_wire`: fixed parameters checked, then every field read in spec order.
fn decode_code(endpoint: &EndpointSpec, fields: &[Field]) -> Result<String, String> {
    let name = &endpoint.name;
    let fixed = endpoint.params.iter().filter(|param| param.field.is_none());
    let mut decode = String::new();
    for param in fixed {
        let default = param.default.as_ref().ok_or_else(|| {
            format!(
                "{name}.{}: a parameter without `field` needs the `default` it must equal",
                param.wire
            )
        })?;
        let _ = writeln!(
            decode,
            "crate::wire::decode::fixed(pairs, crate::param::{}, {default:?})?;",
            param_constant(&param.wire)
        );
    }
    if fields.iter().any(|field| field.first().in_json()) {
        decode.push_str("let object = crate::wire::decode::json_object(body)?;\n");
    }
    if fields.iter().any(|field| field.first().in_form()) {
        decode.push_str("let form = crate::wire::decode::form_pairs(body)?;\n");
    }
    let mut inits = Vec::new();
    for field in fields {
        let first = field.first();
        let constant = format!("crate::param::{}", param_constant(&first.wire));
        let pairs = if first.in_form() { "&form" } else { "pairs" };
        let value = if first.in_json() {
            if first.required {
                format!("crate::wire::decode::json_required(&object, {constant})?")
            } else if field.rust.starts_with("Option<") {
                format!("crate::wire::decode::json_optional(&object, {constant})?")
            } else {
                format!(
                    "crate::wire::decode::json_optional(&object, {constant})?.unwrap_or_default()"
                )
            }
        } else if field.params.len() > 1 {
            let texts: Vec<String> = field
                .params
                .iter()
                .map(|param| {
                    format!(
                        "crate::wire::decode::single(pairs, crate::param::{})?",
                        param_constant(&param.wire)
                    )
                })
                .collect();
            format!(
                "<{} as crate::wire::Composite<{}>>::from_wire([{}], [{}])?",
                field.rust,
                field.params.len(),
                field.names(),
                texts.join(", ")
            )
        } else if first.in_path() {
            format!("crate::wire::decode::path_param(Self::SPEC.path, path, {constant})?")
        } else if first.repeat {
            format!(
                "crate::wire::decode::repeated({pairs}, {constant}, {})?",
                first.required
            )
        } else if first.required {
            format!("crate::wire::decode::required({pairs}, {constant})?")
        } else if field.rust.starts_with("Option<") {
            format!("crate::wire::decode::optional({pairs}, {constant})?")
        } else {
            format!("crate::wire::decode::optional({pairs}, {constant})?.unwrap_or_default()")
        };
        inits.push(format!("{}: {value}", field.name));
    }
    let _ = write!(decode, "Ok(Self {{ {} }})", inits.join(", "));
    Ok(decode)
}

/// The fields in order of their first parameter, with their Rust types.
fn fields<'a>(
    endpoint: &'a EndpointSpec,
    enums: &BTreeSet<&str>,
) -> Result<Vec<Field<'a>>, String> {
    let mut fields: Vec<Field> = Vec::new();
    for (index, param) in endpoint.params.iter().enumerate() {
        let Some(field) = param.field.as_deref() else {
            continue;
        };
        if let Some(existing) = fields.iter_mut().find(|existing| existing.name == field) {
            let last = existing.params[existing.params.len() - 1];
            let adjacent = endpoint
                .params
                .get(index.wrapping_sub(1))
                .is_some_and(|before| std::ptr::eq(before, last));
            if !adjacent || param.composite != existing.first().composite {
                return Err(format!(
                    "{}.{}: parameters sharing field `{field}` must be adjacent and name the same `composite`",
                    endpoint.name, param.wire
                ));
            }
            existing.params.push(param);
            continue;
        }
        fields.push(Field {
            name: field,
            params: vec![param],
            rust: String::new(),
        });
    }
    for field in &mut fields {
        let first = field.first();
        field.rust = match (&first.composite, field.params.len()) {
            (Some(composite), count) if count > 1 => composite.clone(),
            (None, 1) => single_type(&endpoint.name, first, enums)?,
            _ => {
                return Err(format!(
                    "{}.{}: `composite` is for a field of several parameters",
                    endpoint.name, first.wire
                ));
            }
        };
    }
    Ok(fields)
}

/// The type of a field read from one parameter.
fn single_type(
    endpoint: &str,
    param: &ParamSpec,
    enums: &BTreeSet<&str>,
) -> Result<String, String> {
    let value = match (param.rust.as_deref(), param.kind.as_str()) {
        (Some(rust), _) => rust.to_owned(),
        (None, "int") => "u32".to_owned(),
        (None, "number") => "f64".to_owned(),
        (None, "string" | "property") => "String".to_owned(),
        (None, "datetime") => "Timestamp".to_owned(),
        (None, "bool") if param.in_query() => return Ok("bool".to_owned()),
        (None, "bool") => "bool".to_owned(),
        (None, "event") => "Event".to_owned(),
        (None, "segment") => "Segment".to_owned(),
        (None, "brackets") => return Ok("Vec<[u32; 2]>".to_owned()),
        (None, kind) if enums.contains(kind) => kind.to_owned(),
        (None, kind) => {
            return Err(format!(
                "{endpoint}.{}: no Rust type for `{kind}`",
                param.wire
            ));
        }
    };
    Ok(if param.repeat || param.list {
        format!("Vec<{value}>")
    } else if param.required {
        value
    } else {
        format!("Option<{value}>")
    })
}

/// The `use` lines for the types the fields name.
fn imports<'a>(fields: &'a [Field], enums: &BTreeSet<&'a str>) -> String {
    let mut modules: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    let mut root = BTreeSet::from(["QueryPairs", "ValidationError"]);
    for field in fields {
        for word in field.rust.split(|c: char| !c.is_alphanumeric()) {
            if let Some(module) = model_type_module(word) {
                modules.entry(module).or_default().insert(word);
            } else if let Some(name) = enums.get(word) {
                root.insert(name);
            }
        }
    }
    let mut out = String::from("use crate::catalogue::EndpointSpec;\n");
    for (module, names) in modules {
        let names: Vec<&str> = names.into_iter().collect();
        let _ = writeln!(out, "use crate::{module}::{{{}}};", names.join(", "));
    }
    let names: Vec<&str> = root.into_iter().collect();
    let _ = writeln!(
        out,
        "use crate::wire::{{ParamError, Wire}};\nuse crate::{{{}}};\n",
        names.join(", ")
    );
    out
}
