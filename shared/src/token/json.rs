//! A strict JSON object parser for untrusted input.
//!
//! `serde_json` silently keeps the last of two members with the same name.
//! Other parsers keep the first, or refuse. A token whose payload says
//! `{"token_use":"id","token_use":"access"}` would then mean different things
//! to us and to anything else that reads it (a WAF, a log pipeline, a second
//! verifier), so a duplicate member is refused at every depth. Names are
//! compared after unescaping, so `"a"` and `"\u0061"` are duplicates too.
//!
//! Nesting depth is bounded by serde_json's own recursion limit (128).

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Number, Value};

/// Why the input was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JsonError {
    /// Not JSON, or JSON but not an object.
    Invalid,
    /// An object repeats a member name.
    Duplicate,
}

/// Parses `bytes` as one JSON object, refusing duplicate member names.
pub fn parse_object(bytes: &[u8]) -> Result<Map<String, Value>, JsonError> {
    match serde_json::from_slice::<StrictValue>(bytes) {
        Ok(StrictValue(Value::Object(map))) => Ok(map),
        Ok(_) => Err(JsonError::Invalid),
        // The visitor below raises exactly one kind of data error, the
        // duplicate member; everything else serde_json reports is syntax
        // (including trailing bytes, bad UTF-8 and running out of input).
        Err(err) if err.classify() == serde_json::error::Category::Data => {
            Err(JsonError::Duplicate)
        }
        Err(_) => Err(JsonError::Invalid),
    }
}

/// A `serde_json::Value` built by [`StrictVisitor`].
struct StrictValue(Value);

impl<'de> Deserialize<'de> for StrictValue {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(StrictVisitor).map(StrictValue)
    }
}

struct StrictVisitor;

impl<'de> Visitor<'de> for StrictVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("any JSON value without duplicate object members")
    }

    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::from(v))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::from(v))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Value, E> {
        // JSON cannot spell NaN or infinity, so this never fails on real
        // input; it is an error rather than a panic all the same.
        Number::from_f64(v)
            .map(Value::Number)
            .ok_or_else(|| E::custom("non-finite number"))
    }

    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }

    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }

    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(64));
        while let Some(StrictValue(item)) = seq.next_element()? {
            items.push(item);
        }
        Ok(Value::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<Value, A::Error> {
        let mut map = Map::new();
        while let Some(name) = access.next_key::<String>()? {
            if map.contains_key(&name) {
                // The name is not echoed: it comes from the token.
                return Err(de::Error::custom("duplicate member"));
            }
            let StrictValue(value) = access.next_value()?;
            map.insert(name, value);
        }
        Ok(Value::Object(map))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_a_plain_object() {
        let map = parse_object(br#"{"a":1,"b":[true,null,"x"],"c":{"d":-2.5}}"#).unwrap();
        assert_eq!(map["a"], 1);
        assert_eq!(map["b"][2], "x");
        assert_eq!(map["c"]["d"], -2.5);
    }

    #[test]
    fn refuses_duplicates_at_any_depth_and_after_unescaping() {
        for input in [
            &br#"{"a":1,"a":2}"#[..],
            br#"{"a":1,"\u0061":2}"#,
            br#"{"x":{"b":1,"b":1}}"#,
            br#"{"x":[{"c":1,"c":2}]}"#,
        ] {
            assert_eq!(parse_object(input), Err(JsonError::Duplicate));
        }
    }

    #[test]
    fn refuses_non_objects_and_garbage() {
        for input in [
            &b"[]"[..],
            b"\"s\"",
            b"1",
            b"null",
            b"",
            b"{",
            b"{} {}",
            b"{\"a\":1,}",
            b"{\"a\":\xff}",
        ] {
            assert_eq!(parse_object(input), Err(JsonError::Invalid), "{input:?}");
        }
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_stack_overflow() {
        let deep = format!("{{\"a\":{}{}}}", "[".repeat(10_000), "]".repeat(10_000));
        assert_eq!(parse_object(deep.as_bytes()), Err(JsonError::Invalid));
    }
}
