//! Which project and hosts to query, and with which keys: flags, then the environment, then a
//! named project of the config file.
//!
//! ```toml
//! default = "prod"          # used when --project is not given
//!
//! [projects.prod]
//! api_key = "..."
//! secret_key = "..."
//! region = "eu"             # optional, like base_url and profile_base_url
//! ```

use std::collections::BTreeMap;
use std::path::PathBuf;

use amp_governor_redis::RedisBudget;
use amplitude_api::model::Limits;
use amplitude_api::transport::{Client, ClientBuilder, Governor};
use serde::Deserialize;

use crate::cli::Target;

/// The config file.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Config {
    default: Option<String>,
    #[serde(default)]
    projects: BTreeMap<String, Project>,
}

/// One project's settings.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct Project {
    api_key: Option<String>,
    secret_key: Option<String>,
    region: Option<String>,
    base_url: Option<String>,
    profile_base_url: Option<String>,
}

fn default_config_path() -> Option<PathBuf> {
    let base = std::env::var_os("XDG_CONFIG_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".config")))?;
    Some(base.join("ampq").join("config.toml"))
}

/// The named (or default) project of the config file; none without a file or a name.
fn project(target: &Target) -> Result<Project, String> {
    let explicit = target.config.is_some();
    let Some(path) = target.config.clone().or_else(default_config_path) else {
        return Ok(Project::default());
    };
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound && !explicit => {
            return match &target.project {
                Some(name) => Err(format!(
                    "--project {name}: there is no config file at {}; create it with a [projects.{name}] table",
                    path.display()
                )),
                None => Ok(Project::default()),
            };
        }
        Err(error) => return Err(format!("{}: {error}", path.display())),
    };
    let config: Config =
        toml::from_str(&text).map_err(|error| format!("{}: {error}", path.display()))?;
    let Some(name) = target.project.as_ref().or(config.default.as_ref()) else {
        return Ok(Project::default());
    };
    config.projects.get(name).cloned().ok_or_else(|| {
        let names: Vec<&str> = config.projects.keys().map(String::as_str).collect();
        format!(
            "{}: no project named {name:?}; the file has {}",
            path.display(),
            if names.is_empty() {
                "none".to_owned()
            } else {
                names.join(", ")
            }
        )
    })
}

/// A client for `target`. A dry run needs no keys: nothing is sent, and keys never show.
pub fn client(target: &Target, dry_run: bool) -> Result<Client, String> {
    let project = project(target)?;
    let lookup = |name: &str| -> Option<String> {
        let flag = match name {
            "AMPLITUDE_REGION" => target.region.clone(),
            "AMPLITUDE_BASE_URL" => target.base_url.clone(),
            "AMPLITUDE_PROFILE_BASE_URL" => target.profile_base_url.clone(),
            _ => std::env::var(name)
                .ok()
                .filter(|value| !value.trim().is_empty()),
        };
        flag.or_else(|| match name {
            "AMPLITUDE_API_KEY" => project.api_key.clone(),
            "AMPLITUDE_SECRET_KEY" => project.secret_key.clone(),
            "AMPLITUDE_REGION" => project.region.clone(),
            "AMPLITUDE_BASE_URL" => project.base_url.clone(),
            "AMPLITUDE_PROFILE_BASE_URL" => project.profile_base_url.clone(),
            _ => None,
        })
        .or_else(|| {
            (dry_run && name.ends_with("_KEY")).then(|| "not-needed-for-a-dry-run".to_owned())
        })
    };
    let builder: ClientBuilder = ClientBuilder::from_lookup(lookup).map_err(|error| {
        format!(
            "{error}\n  (or name a project of the config file with --project; see `ampq --help`)"
        )
    })?;
    let builder = match &target.redis_url {
        Some(url) => {
            let budget = RedisBudget::open(url, &target.redis_namespace)
                .map_err(|error| format!("--redis-url: {error}"))?;
            builder.governor(Governor::with_shared_budget(Limits::default(), budget))
        }
        None => builder,
    };
    if target.timeout == 0 {
        return Err("--timeout: give at least 1 second".into());
    }
    let timeout = std::time::Duration::from_secs(target.timeout);
    builder
        .timeout(timeout)
        .attempt_timeout(timeout.min(amplitude_api::transport::DEFAULT_ATTEMPT_TIMEOUT))
        .build()
        .map_err(|error| error.to_string())
}
