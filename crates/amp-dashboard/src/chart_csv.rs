use amp_model::dashboard::ChartCsvResponse;
use amp_transport::{DecodeError, HttpResponse};

/// Reads the CSV path's answer: `{"data": "<csv text>"}` as observed, or the CSV text itself,
/// which its name suggests Amplitude may also send.
pub(crate) fn parse(response: &HttpResponse) -> Result<ChartCsvResponse, DecodeError> {
    let body = &response.body;
    if body.iter().find(|byte| !byte.is_ascii_whitespace()) == Some(&b'{') {
        return DecodeError::decode_json(body);
    }
    let text = std::str::from_utf8(body)
        .map_err(|_| DecodeError::new("the CSV body is not UTF-8", body))?;
    Ok(ChartCsvResponse::from_text(text))
}
