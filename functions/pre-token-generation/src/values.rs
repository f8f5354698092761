//! Profile item attributes as claim values, in the types each event version
//! allows.
//!
//! | DynamoDB | V2, V3 | V1 (strings only) |
//! |---|---|---|
//! | S | string | the string |
//! | N | number, or its decimal text when JSON cannot carry it exactly | its decimal text |
//! | BOOL | boolean | `"true"` / `"false"` |
//! | L, M, SS, NS | array / object / array of strings / array of numbers | their JSON text, as Cognito writes `identities` |
//! | NULL | no claim | no claim |
//! | B, BS | no claim (binary is never put in a token) | no claim |
//!
//! In the ID token, [`ID_TOKEN_SCALARS`] (`address`, `updated_at`, ...) must
//! stay scalar even in V2 and V3, so a structured value there becomes its
//! JSON text too.
//!
//! Numbers: DynamoDB keeps up to 38 significant digits; a JSON number is
//! read by most consumers as an IEEE double, exact to 15. A number with more
//! significant digits is sent as its decimal text rather than rounded.

use aws_sdk_dynamodb::types::AttributeValue;
use serde_json::{Map, Number, Value};

use crate::names::ID_TOKEN_SCALARS;

/// A profile item as DynamoDB returns it.
pub type Item = std::collections::HashMap<String, AttributeValue>;

/// Significant digits an IEEE double holds exactly, whatever the exponent.
const EXACT_DIGITS: usize = 15;

/// Which claim values a token accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClaimTypes {
    /// V1 events: strings only.
    StringsOnly,
    /// V2 and V3 events: any JSON.
    Json,
}

/// The claim value for `attribute` in a token that accepts `types`, or
/// `None` when the attribute makes no claim (null or binary).
pub fn claim_value(attribute: &AttributeValue, types: ClaimTypes) -> Option<Value> {
    let json = to_json(attribute)?;
    Some(match (types, json) {
        (ClaimTypes::Json, json) => json,
        (ClaimTypes::StringsOnly, Value::String(text)) => Value::String(text),
        // The number's own decimal text, not a re-formatted double.
        (ClaimTypes::StringsOnly, _) if matches!(attribute, AttributeValue::N(_)) => Value::String(
            attribute
                .as_n()
                .map(|n| n.trim().to_owned())
                .unwrap_or_default(),
        ),
        (ClaimTypes::StringsOnly, other) => Value::String(other.to_string()),
    })
}

/// `value` made fit for the ID token claim `name`: the claims that must stay
/// scalar get a structured value as its JSON text.
pub fn for_id_token(name: &str, value: Value) -> Value {
    if ID_TOKEN_SCALARS.contains(&name) && (value.is_array() || value.is_object()) {
        Value::String(value.to_string())
    } else {
        value
    }
}

fn to_json(attribute: &AttributeValue) -> Option<Value> {
    Some(match attribute {
        AttributeValue::S(text) => Value::String(text.clone()),
        AttributeValue::N(number) => number_value(number),
        AttributeValue::Bool(flag) => Value::Bool(*flag),
        AttributeValue::Ss(items) => Value::from(items.clone()),
        AttributeValue::Ns(items) => Value::Array(items.iter().map(|n| number_value(n)).collect()),
        AttributeValue::L(items) => Value::Array(items.iter().filter_map(to_json).collect()),
        AttributeValue::M(members) => Value::Object(
            members
                .iter()
                .filter_map(|(name, value)| to_json(value).map(|value| (name.clone(), value)))
                .collect::<Map<String, Value>>(),
        ),
        // NULL is "no value"; binary never goes into a token; a type the SDK
        // adds later is unknown here, so it makes no claim either.
        _ => return None,
    })
}

/// A DynamoDB number as a JSON number when that is exact, else as its text.
fn number_value(text: &str) -> Value {
    let text = text.trim();
    if let Ok(integer) = text.parse::<i64>() {
        return Value::from(integer);
    }
    if let Ok(integer) = text.parse::<u64>() {
        return Value::from(integer);
    }
    if significant_digits(text) <= EXACT_DIGITS
        && let Some(number) = text
            .parse::<f64>()
            .ok()
            .filter(|float| float.is_finite())
            .and_then(Number::from_f64)
    {
        return Value::Number(number);
    }
    Value::String(text.to_owned())
}

/// Digits of the mantissa, leading and trailing zeros left out.
fn significant_digits(text: &str) -> usize {
    let mantissa = text
        .split(['e', 'E'])
        .next()
        .unwrap_or_default()
        .trim_start_matches(['-', '+']);
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    digits.trim_start_matches('0').trim_end_matches('0').len()
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;
    use aws_sdk_dynamodb::primitives::Blob;
    use serde_json::json;

    fn s(text: &str) -> AttributeValue {
        AttributeValue::S(text.to_owned())
    }

    fn n(text: &str) -> AttributeValue {
        AttributeValue::N(text.to_owned())
    }

    #[test]
    fn v2_keeps_each_type() {
        let json = |attribute: AttributeValue| claim_value(&attribute, ClaimTypes::Json);
        assert_eq!(json(s("pro")), Some(json!("pro")));
        assert_eq!(json(n("42")), Some(json!(42)));
        assert_eq!(json(n("-7")), Some(json!(-7)));
        assert_eq!(
            json(n("18446744073709551615")),
            Some(json!(18446744073709551615u64))
        );
        assert_eq!(json(n("2.5")), Some(json!(2.5)));
        assert_eq!(json(n("1E+3")), Some(json!(1000.0)));
        assert_eq!(
            json(n("12345678901234567890.5")),
            Some(json!("12345678901234567890.5"))
        );
        assert_eq!(json(AttributeValue::Bool(true)), Some(json!(true)));
        assert_eq!(
            json(AttributeValue::L(vec![
                s("a"),
                n("1"),
                AttributeValue::Null(true)
            ])),
            Some(json!(["a", 1]))
        );
        assert_eq!(
            json(AttributeValue::M(HashMap::from([("k".to_owned(), s("v"))]))),
            Some(json!({"k": "v"}))
        );
        assert_eq!(
            json(AttributeValue::Ss(vec!["x".into(), "y".into()])),
            Some(json!(["x", "y"]))
        );
        assert_eq!(
            json(AttributeValue::Ns(vec!["1".into(), "0.5".into()])),
            Some(json!([1, 0.5]))
        );
        assert_eq!(json(AttributeValue::Null(true)), None);
        assert_eq!(json(AttributeValue::B(Blob::new(b"secret".to_vec()))), None);
    }

    #[test]
    fn v1_gets_strings_only() {
        let text = |attribute: AttributeValue| claim_value(&attribute, ClaimTypes::StringsOnly);
        assert_eq!(text(s("pro")), Some(json!("pro")));
        assert_eq!(text(n("42")), Some(json!("42")));
        assert_eq!(text(n("1E+3")), Some(json!("1E+3")));
        assert_eq!(text(AttributeValue::Bool(false)), Some(json!("false")));
        assert_eq!(
            text(AttributeValue::L(vec![s("a"), n("1")])),
            Some(json!(r#"["a",1]"#))
        );
        assert_eq!(text(AttributeValue::Null(true)), None);
    }

    #[test]
    fn id_token_scalars_stay_scalar() {
        assert_eq!(
            for_id_token("address", json!({"country": "PT"})),
            json!(r#"{"country":"PT"}"#)
        );
        assert_eq!(for_id_token("address", json!("Rua 1")), json!("Rua 1"));
        assert_eq!(for_id_token("plan", json!({"a": 1})), json!({"a": 1}));
    }

    #[test]
    fn counts_significant_digits() {
        assert_eq!(significant_digits("0.00120"), 2);
        assert_eq!(significant_digits("-1.5E10"), 2);
        assert_eq!(significant_digits("1000"), 1);
        assert_eq!(significant_digits("123456789012345.6"), 16);
    }
}
