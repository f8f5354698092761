//! Several user pools: a group belongs to the pool that issued the token, so
//! the same group name in two pools does not mix.

use super::*;

/// With two pools, a group is part of the pool that issued the token: an
/// `admins` group of the tenant pool does not open the staff pool's route.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_pools_with_the_same_group_name_do_not_mix() {
    let rules = format!(
        r#"[{{"path":"/admin/{{proxy+}}","anyGroups":["admins"],"pools":["{POOL}"]}},
            {{"method":"GET","path":"/me"}}]"#
    );
    let function = two_pools().env("AUTHZ_RULES", &rules).start().await;
    for (pool, admin_allowed) in [(POOL, true), (POOL2, false)] {
        let credential = format!(
            "Bearer {}",
            TokenBuilder::access(pool, CLIENT)
                .groups(&["admins"])
                .build()
        );
        for shape in ALL_SHAPES {
            let answer = ask_route(&function, shape, &credential, DELETE_ADMIN_USER_1).await;
            assert_eq!(
                answer.lets_through("DELETE", "/admin/users/1"),
                admin_allowed,
                "{pool} {shape:?}"
            );
            let me = ask_route(&function, shape, &credential, GET_ME).await;
            assert!(me.lets_through("GET", "/me"), "{pool} {shape:?}");
            if let Answer::Policy(value) | Answer::Simple(value) = &me {
                assert_eq!(value["context"]["user_pool_id"], pool);
            }
        }
    }
    // And a rule that names a group without its pools fails init.
    let mut function = two_pools()
        .env(
            "AUTHZ_RULES",
            r#"[{"path":"/admin","anyGroups":["admins"]}]"#,
        )
        .start()
        .await;
    let report = function.init_error().await;
    assert!(
        report.error_message.contains("no `pools`"),
        "{}",
        report.error_message
    );
}
