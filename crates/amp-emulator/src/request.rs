//! Reading a request: the endpoint's generated strict decoder, then the validation the SDK runs
//! before sending, so no parameter name is read anywhere else.

use amp_model::{ParamError, Query, ValidationError};

/// Why a request is refused before anything is computed: Amplitude's 400.
#[derive(Debug, thiserror::Error)]
pub enum Refusal {
    /// A parameter could not be read.
    #[error(transparent)]
    Param(#[from] ParamError),
    /// The query breaks a rule the SDK checks too.
    #[error(transparent)]
    Invalid(#[from] ValidationError),
}

/// Decodes and validates a query of type `Q` from its path and raw query string.
pub fn read<Q: Query>(path: &str, query: Option<&str>) -> Result<Q, Refusal> {
    read_with_body(path, query, &[])
}

/// Decodes and validates a write of type `Q` from its path, raw query string and body.
pub fn read_with_body<Q: Query>(
    path: &str,
    query: Option<&str>,
    body: &[u8],
) -> Result<Q, Refusal> {
    let pairs: Vec<(String, String)> =
        url::form_urlencoded::parse(query.unwrap_or_default().as_bytes())
            .into_owned()
            .collect();
    let query = Q::from_wire(path, &pairs, body)?;
    query.validate()?;
    Ok(query)
}
