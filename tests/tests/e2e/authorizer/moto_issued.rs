//! A real Cognito-protocol peer: tokens issued by moto, whose JWKS the
//! authorizer fetches over HTTP.

use super::*;
use e2e_tests::moto::Moto;

/// A real Cognito-protocol peer: moto creates the pool, the group and the
/// user, signs the user in, and serves the pool's JWKS over HTTP; the
/// authorizer fetches it through `JWKS_URL` and decides with the group.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_moto_issued_access_token_with_groups_is_authorized_by_its_group() {
    use aws_sdk_cognitoidentityprovider::types::{AuthFlowType, ExplicitAuthFlowsType};
    use e2e_tests::moto::{create_group, create_user_pool, set_permanent_password, user_attribute};

    let moto = Moto::start();
    let cognito = moto.cognito().await;
    let pool_id = create_user_pool(&cognito, "authorizer-e2e").await;
    let client = cognito
        .create_user_pool_client()
        .user_pool_id(&pool_id)
        .client_name("api")
        .explicit_auth_flows(ExplicitAuthFlowsType::AllowAdminUserPasswordAuth)
        .explicit_auth_flows(ExplicitAuthFlowsType::AllowRefreshTokenAuth)
        .send()
        .await
        .unwrap();
    let client_id = client
        .user_pool_client()
        .unwrap()
        .client_id()
        .unwrap()
        .to_owned();
    create_group(&cognito, &pool_id, "admins").await;

    let mut tokens = Vec::new();
    for (username, admin) in [("ada", true), ("bob", false)] {
        cognito
            .admin_create_user()
            .user_pool_id(&pool_id)
            .username(username)
            .user_attributes(user_attribute("email", format!("{username}@example.com")))
            .send()
            .await
            .unwrap();
        set_permanent_password(&cognito, &pool_id, username, "Correct-Horse-9").await;
        if admin {
            cognito
                .admin_add_user_to_group()
                .user_pool_id(&pool_id)
                .username(username)
                .group_name("admins")
                .send()
                .await
                .unwrap();
        }
        let auth = cognito
            .admin_initiate_auth()
            .user_pool_id(&pool_id)
            .client_id(&client_id)
            .auth_flow(AuthFlowType::AdminUserPasswordAuth)
            .auth_parameters("USERNAME", username)
            .auth_parameters("PASSWORD", "Correct-Horse-9")
            .send()
            .await
            .unwrap();
        let access_token = auth
            .authentication_result()
            .unwrap()
            .access_token()
            .unwrap()
            .to_owned();
        tokens.push((username, access_token));
    }

    let function = Launch::new("authorizer")
        .env("USER_POOL_ID", &pool_id)
        .env("APP_CLIENT_IDS", &client_id)
        .env("JWKS_URL", format!("{}/{{userPoolId}}/.well-known/jwks.json", moto.endpoint()))
        .env("AUTHZ_RULES", r#"[{"path": "/admin/{proxy+}", "anyGroups": ["admins"]}, {"method": "GET", "path": "/pets"}]"#)
        .start()
        .await;
    for (username, token) in &tokens {
        let admin = *username == "ada";
        let credential = format!("Bearer {token}");
        for shape in ALL_SHAPES {
            let admin_call = ask_route(&function, shape, &credential, DELETE_ADMIN_USER).await;
            assert_eq!(
                admin_call.lets_through("DELETE", "/admin/users/7"),
                admin,
                "{username} {shape:?}"
            );
            let pets = ask_route(&function, shape, &credential, LIST_PETS).await;
            assert!(pets.lets_through("GET", "/pets"), "{username} {shape:?}");
            if let Answer::Policy(policy) = &pets {
                assert_eq!(policy["context"]["username"], *username);
                assert_eq!(
                    policy["context"]["groups"],
                    if admin { r#"["admins"]"# } else { "[]" }
                );
                assert_eq!(policy["context"]["client_id"], client_id.as_str());
            }
        }
    }
}
