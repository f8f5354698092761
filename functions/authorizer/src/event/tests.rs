//! Tests of event recognition and credential extraction, against the
//! sample events in `events/authorizer/` and hand-made variants.

use super::*;
use serde_json::json;

fn authorization() -> CredentialSources {
    sources("authorization", None)
}

fn sources(header: &'static str, query_parameter: Option<&str>) -> CredentialSources {
    CredentialSources {
        header: HeaderName::from_static(header),
        query_parameter: query_parameter.map(str::to_owned),
    }
}

fn sample(name: &str) -> Value {
    let path = format!(
        "{}/../../events/authorizer/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(&path).unwrap_or_else(|err| panic!("{path}: {err}"));
    serde_json::from_str(&text).unwrap()
}

#[test]
fn detects_each_kind() {
    assert_eq!(Kind::detect(&json!({"type": "TOKEN"})), Some(Kind::Token));
    // A REST path may end in `/$connect`: only the event type makes a
    // WebSocket connection.
    assert_eq!(
        Kind::detect(
            &json!({"type": "REQUEST", "methodArn": "arn:aws:execute-api:us-east-1:1:a/prod/GET/x/$connect"})
        ),
        Some(Kind::Request)
    );
    assert_eq!(
        Kind::detect(&json!({"type": "REQUEST"})),
        Some(Kind::Request)
    );
    assert_eq!(
        Kind::detect(&json!({"type": "REQUEST", "version": "1.0"})),
        Some(Kind::HttpV1)
    );
    assert_eq!(
        Kind::detect(&json!({"type": "REQUEST", "version": "2.0"})),
        Some(Kind::HttpV2)
    );
    assert_eq!(
        Kind::detect(&json!({"type": "REQUEST", "version": "3.0"})),
        None
    );
    assert_eq!(Kind::detect(&json!({"type": "token"})), None);
    assert_eq!(
        Kind::detect(&json!({"triggerSource": "PreSignUp_SignUp"})),
        None
    );
    assert_eq!(Kind::detect(&json!([])), None);
}

/// Every committed sample is read by the real types, and yields the
/// placeholder credential and the route it was written for.
#[test]
fn every_sample_event_is_read() {
    let dir = format!("{}/../../events/authorizer", env!("CARGO_MANIFEST_DIR"));
    let mut seen = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_str().unwrap().to_owned();
        if !name.ends_with(".json") {
            continue;
        }
        let incoming = Incoming::read(sample(&name), &authorization())
            .unwrap_or_else(|err| panic!("{name}: {err}"));
        let prefix = name.split('-').next().unwrap();
        let expected = match prefix {
            "token" => Kind::Token,
            "request" => Kind::Request,
            "http1" => Kind::HttpV1,
            "http2" => Kind::HttpV2,
            "websocket" => Kind::WebSocket,
            other => panic!("{name}: unknown prefix {other}"),
        };
        assert_eq!(incoming.kind, expected, "{name}");
        seen += 1;
    }
    assert!(seen >= 4, "only {seen} samples");
}

#[test]
fn reads_a_token_event() {
    let incoming = Incoming::read(sample("token-allow.json"), &authorization()).unwrap();
    assert_eq!(
        incoming.credential,
        Credential::Value("Bearer {{TOKEN}}".to_owned())
    );
    let Target::Arn { arn, resource } = incoming.target else {
        panic!()
    };
    assert_eq!(resource, None);
    assert_eq!(arn.verb(), "GET");
    assert_eq!(arn.path(), "/pets/42");
}

#[test]
fn reads_the_request_header_in_any_casing() {
    let mut event = sample("request-allow.json");
    let incoming = Incoming::read(event.clone(), &authorization()).unwrap();
    assert_eq!(
        incoming.credential,
        Credential::Value("Bearer {{TOKEN}}".to_owned())
    );

    let custom = sources("x-auth", None);
    event["headers"] = json!({"X-AUTH": "abc", "Accept": "*/*"});
    event["multiValueHeaders"] = json!({"X-AUTH": ["abc"]});
    let incoming = Incoming::read(event.clone(), &custom).unwrap();
    assert_eq!(incoming.credential, Credential::Value("abc".to_owned()));
    let incoming = Incoming::read(event, &authorization()).unwrap();
    assert_eq!(incoming.credential, Credential::Missing);
}

#[test]
fn a_repeated_credential_header_is_ambiguous() {
    let mut event = sample("request-allow.json");
    event["multiValueHeaders"]["Authorization"] = json!(["Bearer a.b.c", "Bearer d.e.f"]);
    let incoming = Incoming::read(event, &authorization()).unwrap();
    assert_eq!(incoming.credential, Credential::Ambiguous);

    let mut event = sample("request-allow.json");
    event["headers"]["authorization"] = json!("Bearer d.e.f");
    let incoming = Incoming::read(event, &authorization()).unwrap();
    assert_eq!(incoming.credential, Credential::Ambiguous);
}

#[test]
fn null_maps_in_a_request_event_are_read() {
    let mut event = sample("request-allow.json");
    for field in [
        "queryStringParameters",
        "multiValueQueryStringParameters",
        "pathParameters",
        "stageVariables",
        "multiValueHeaders",
    ] {
        event[field] = Value::Null;
    }
    let incoming = Incoming::read(event, &authorization()).unwrap();
    assert!(matches!(incoming.credential, Credential::Value(_)));
}

#[test]
fn reads_an_http_v2_event_from_its_identity_source_or_header() {
    let event = sample("http2-allow.json");
    let incoming = Incoming::read(event.clone(), &authorization()).unwrap();
    assert_eq!(
        incoming.credential,
        Credential::Value("Bearer {{TOKEN}}".to_owned())
    );
    let Target::Route {
        verb, route_key, ..
    } = &incoming.target
    else {
        panic!()
    };
    assert_eq!(verb, "GET");
    assert_eq!(route_key, "GET /pets/{id}");

    let mut without_source = event;
    without_source
        .as_object_mut()
        .unwrap()
        .remove("identitySource");
    without_source["headers"] = json!({"authorization": "Bearer from.header.value"});
    let incoming = Incoming::read(without_source, &authorization()).unwrap();
    assert_eq!(
        incoming.credential,
        Credential::Value("Bearer from.header.value".to_owned())
    );
}

#[test]
fn an_unusable_method_arn_is_reported() {
    let mut event = sample("token-allow.json");
    event["methodArn"] = json!("arn:aws:lambda:us-east-1:1:function:f");
    assert!(matches!(
        Incoming::read(event, &authorization()),
        Err(EventError::BadArn(Kind::Token, ArnError::NotExecuteApi))
    ));
    let mut event = sample("request-allow.json");
    event.as_object_mut().unwrap().remove("methodArn");
    assert!(matches!(
        Incoming::read(event, &authorization()),
        Err(EventError::BadArn(Kind::Request, _))
    ));
}

/// Stage names are what API Gateway allows (CreateStage: letters, digits,
/// `-`, `_`, at most 128), or `$default`; anything else is no event API
/// Gateway sent.
#[test]
fn a_stage_name_api_gateway_does_not_allow_is_refused() {
    for good in [
        "prod",
        "v1",
        "Stage",
        "dev_2-b",
        "$default",
        &"s".repeat(128),
    ] {
        assert!(is_stage_name(good), "{good}");
    }
    for bad in [
        "",
        "*",
        "p?d",
        "a.b",
        "a b",
        "a/b",
        "a%2F",
        "a;b",
        "$defaults",
        "$connect",
        "é",
        &"s".repeat(129),
    ] {
        assert!(!is_stage_name(bad), "{bad}");
    }
    for (name, kind) in [
        ("token-allow.json", Kind::Token),
        ("request-allow.json", Kind::Request),
        ("http1-allow.json", Kind::HttpV1),
    ] {
        let mut event = sample(name);
        let arn = event["methodArn"].as_str().unwrap().to_owned();
        let (head, tail) = arn
            .split_once("/prod/")
            .or_else(|| arn.split_once("/$default/"))
            .unwrap();
        event["methodArn"] = json!(format!("{head}/pro.d/{tail}"));
        match Incoming::read(event, &authorization()) {
            Err(EventError::BadStage(read)) => assert_eq!(read, kind),
            other => panic!("{name}: {other:?}"),
        }
    }
}

/// The route key counts as sent by the caller when any header, query
/// parameter (name or value, raw or as API Gateway may decode it) or
/// cookie holds it.
#[test]
fn a_route_key_the_caller_sent_is_found_under_any_decoding() {
    let key = b"GET /pets/{id}";
    for sent in [
        &b"GET /pets/{id}"[..],
        b"GET%20/pets/{id}",
        b"GET+/pets/{id}",
        b"GET+%2Fpets%2F%7Bid%7D",
        b"org=GET%20%2Fpets%2F%7bid%7d&x=1",
        b"GET /pets/{id},GET /other",
        b"a,GET /pets/{id}",
    ] {
        assert!(
            holds_under_any_decoding(sent, key),
            "{}",
            String::from_utf8_lossy(sent)
        );
    }
    for not_sent in [
        &b"GET /pets"[..],
        b"GET%2520/pets/{id}",
        b"GET%2/pets/{id}",
        b"GET_/pets/{id}",
    ] {
        assert!(
            !holds_under_any_decoding(not_sent, key),
            "{}",
            String::from_utf8_lossy(not_sent)
        );
    }
    assert_eq!(percent_decode(b"%zz%4", false), b"%zz%4");
    assert_eq!(percent_decode(b"a+b%2B", true), b"a b+");
    assert_eq!(percent_decode(b"a+b%2B", false), b"a+b+");

    let event = |edit: &dyn Fn(&mut Value)| {
        let mut event = sample("http2-allow.json");
        edit(&mut event);
        match Incoming::read(event, &authorization()).unwrap().target {
            Target::Route {
                caller_sent_route_key,
                ..
            } => caller_sent_route_key,
            other => panic!("{other:?}"),
        }
    };
    assert!(!event(&|_| {}));
    assert!(event(
        &|e| e["rawQueryString"] = json!("org=GET+%2Fpets%2F%7Bid%7D")
    ));
    assert!(event(
        &|e| e["queryStringParameters"] = json!({"GET /pets/{id}": "x"})
    ));
    assert!(event(&|e| e["headers"]["x-org"] = json!("GET /pets/{id},b")));
    assert!(event(&|e| e["cookies"] = json!(["org=GET%20/pets/{id}"])));
}

#[test]
fn an_http_v2_event_without_request_context_does_not_parse() {
    let mut event = sample("http2-allow.json");
    event.as_object_mut().unwrap().remove("requestContext");
    assert!(matches!(
        Incoming::read(event, &authorization()),
        Err(EventError::Unparseable(Kind::HttpV2, _))
    ));
}

#[test]
fn a_websocket_connect_takes_its_token_from_the_query_or_the_header_never_both() {
    let event = sample("websocket-allow.json");
    assert_eq!(Kind::detect(&event), Some(Kind::WebSocket));
    let with_query = sources("authorization", Some("token"));
    let incoming = Incoming::read(event.clone(), &with_query).unwrap();
    assert_eq!(
        incoming.credential,
        Credential::Value("{{TOKEN}}".to_owned())
    );
    assert_eq!(
        incoming.target,
        Target::Connect {
            arn: MethodArn::parse(
                "arn:aws:execute-api:us-east-1:123456789012:d4e5f6g7h8/prod/$connect"
            )
            .unwrap()
        }
    );
    // Headers only, unless the parameter is configured.
    let incoming = Incoming::read(event.clone(), &authorization()).unwrap();
    assert_eq!(incoming.credential, Credential::Missing);
    // In the header instead.
    let mut header = event.clone();
    header["queryStringParameters"] = json!({});
    header["multiValueQueryStringParameters"] = json!({});
    header["headers"]["Authorization"] = json!("Bearer a.b.c");
    let incoming = Incoming::read(header.clone(), &with_query).unwrap();
    assert_eq!(
        incoming.credential,
        Credential::Value("Bearer a.b.c".to_owned())
    );
    // In both, or twice in the query: which one API Gateway keyed its
    // cache on is unknown.
    let mut both = event.clone();
    both["headers"]["Authorization"] = json!("Bearer a.b.c");
    assert_eq!(
        Incoming::read(both, &with_query).unwrap().credential,
        Credential::Ambiguous
    );
    let mut twice = event.clone();
    twice["multiValueQueryStringParameters"]["token"] = json!(["x.y.z", "a.b.c"]);
    assert_eq!(
        Incoming::read(twice, &with_query).unwrap().credential,
        Credential::Ambiguous
    );
    // Only a `$connect` ARN.
    let mut other = event;
    other["methodArn"] =
        json!("arn:aws:execute-api:us-east-1:123456789012:d4e5f6g7h8/prod/$connect/x");
    assert!(matches!(
        Incoming::read(other, &with_query),
        Err(EventError::NotConnect)
    ));
}

#[test]
fn route_keys() {
    let read = |key| RouteKey::parse(key).map(|route| (route.verb, route.path));
    assert_eq!(read("GET /pets/{id}"), Some((Some("GET"), "/pets/{id}")));
    assert_eq!(read("ANY /{proxy+}"), Some((None, "/{proxy+}")));
    assert_eq!(read("any /x"), Some((None, "/x")));
    assert_eq!(read("$default"), Some((None, "/{proxy+}")));
    assert_eq!(read("odd"), None);
    assert_eq!(read(" /x"), None);
    assert_eq!(read(""), None);
}
