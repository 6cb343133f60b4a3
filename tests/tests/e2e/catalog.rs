//! The catalog: staff write paths and projects, everyone logged in reads them.

use mentorship_tests::{TestApp, on_both_databases};
use serde_json::json;

async fn staff_build_the_catalog_and_everyone_reads_it(app: TestApp) {
    let admin = app.admin().await;
    let (manager, _) = app.person(&admin, "manager", "mia@example.com").await;
    let (student, _) = app.student(&admin, "stu@example.com").await;
    let (mentor, _) = app.mentor("meg@example.com").await;
    let created = app
        .post(
            "/v1/paths",
            &manager,
            json!({"title": "Web Developer", "field": "web development", "complexity": 2}),
        )
        .await;
    let path = created.ok(201).clone();
    let id = path["id"].as_str().unwrap();
    assert_eq!(created.header("location"), Some(format!("/v1/paths/{id}")));
    assert_eq!(path["complexity"], 2);
    assert_eq!(path["description"], "");
    app.post(
        "/v1/paths",
        &admin,
        json!({"title": "Data Analyst", "field": "data", "complexity": 1}),
    )
    .await
    .ok(201);
    for reader in [&student, &mentor, &manager] {
        app.get(&format!("/v1/paths/{id}"), reader).await.ok(200);
        // Everyone reads the whole catalog (the harness's own path for mentors included).
        let listed = app.get("/v1/paths", reader).await.ok(200).clone();
        let titles: Vec<&str> = listed["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["title"].as_str().unwrap())
            .collect();
        assert!(
            titles.contains(&"Web Developer") && titles.contains(&"Data Analyst"),
            "{titles:?}"
        );
    }
    let data = app
        .get("/v1/paths?field=data", &student)
        .await
        .ok(200)
        .clone();
    assert_eq!(data["items"].as_array().unwrap().len(), 1);
    assert_eq!(data["items"][0]["title"], "Data Analyst");
    for writer in [&student, &mentor] {
        app.post(
            "/v1/paths",
            writer,
            json!({"title": "X", "field": "x", "complexity": 1}),
        )
        .await
        .problem(403);
        app.patch(
            &format!("/v1/paths/{id}"),
            writer,
            "\"1\"",
            json!({"title": "X"}),
        )
        .await
        .problem(403);
        app.post(
            &format!("/v1/paths/{id}/projects"),
            writer,
            json!({"title": "P", "difficulty": 1}),
        )
        .await
        .problem(403);
    }
    // Titles are unique; levels are 1 to 3.
    let dup = app
        .post(
            "/v1/paths",
            &admin,
            json!({"title": "Web Developer", "field": "web", "complexity": 1}),
        )
        .await;
    dup.problem(409);
    let bad = app
        .post(
            "/v1/paths",
            &admin,
            json!({"title": "Z", "field": "z", "complexity": 4}),
        )
        .await;
    assert_eq!(bad.problem(422)["errors"][0]["field"], "complexity");
    app.get(&format!("/v1/paths/{}", uuid::Uuid::now_v7()), &student)
        .await
        .problem(404);
}

async fn paths_are_edited_with_their_etag(app: TestApp) {
    let admin = app.admin().await;
    let path = app
        .post(
            "/v1/paths",
            &admin,
            json!({"title": "Web", "field": "web", "complexity": 1}),
        )
        .await;
    let url = format!("/v1/paths/{}", path.ok(201)["id"].as_str().unwrap());
    let etag = path.header("etag").unwrap();
    let edited = app
        .patch(
            &url,
            &admin,
            &etag,
            json!({"complexity": 3, "description": "Full stack"}),
        )
        .await;
    assert_eq!(edited.ok(200)["complexity"], 3);
    assert_eq!(edited.body["title"], "Web");
    assert_eq!(edited.header("etag").as_deref(), Some("\"2\""));
    app.patch(&url, &admin, &etag, json!({"complexity": 1}))
        .await
        .problem(412);
    app.call(
        "PATCH",
        &url,
        Some(&admin),
        Some(json!({"complexity": 1})),
        &[],
    )
    .await
    .problem(428);
    app.patch(&url, &admin, "\"2\"", json!({"complexity": 0}))
        .await
        .problem(422);
    assert_eq!(app.get(&url, &admin).await.body["complexity"], 3);
}

async fn projects_keep_their_order(app: TestApp) {
    let admin = app.admin().await;
    let path = app
        .post(
            "/v1/paths",
            &admin,
            json!({"title": "Web", "field": "web", "complexity": 1}),
        )
        .await;
    let path_id = path.ok(201)["id"].as_str().unwrap().to_owned();
    let projects = format!("/v1/paths/{path_id}/projects");
    let first = app
        .post(&projects, &admin, json!({"title": "HTML", "difficulty": 1}))
        .await
        .ok(201)
        .clone();
    let third = app
        .post(
            &projects,
            &admin,
            json!({"title": "API", "difficulty": 3, "position": 3}),
        )
        .await
        .ok(201)
        .clone();
    let second = app
        .post(
            &projects,
            &admin,
            json!({"title": "JS", "difficulty": 2, "position": 2}),
        )
        .await
        .ok(201)
        .clone();
    assert_eq!(first["position"], 1);
    app.post(
        &projects,
        &admin,
        json!({"title": "Dup", "difficulty": 2, "position": 2}),
    )
    .await
    .problem(409);
    let auto = app
        .post(&projects, &admin, json!({"title": "Last", "difficulty": 1}))
        .await
        .ok(201)
        .clone();
    assert_eq!(auto["position"], 4);
    let page1 = app
        .get(&format!("{projects}?limit=2"), &admin)
        .await
        .ok(200)
        .clone();
    let titles: Vec<&str> = page1["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["title"].as_str().unwrap())
        .collect();
    assert_eq!(titles, ["HTML", "JS"]);
    assert_eq!(page1["has_more"], true);
    let cursor = page1["next_cursor"].as_str().unwrap();
    let page2 = app
        .get(&format!("{projects}?limit=2&cursor={cursor}"), &admin)
        .await
        .ok(200)
        .clone();
    let titles: Vec<&str> = page2["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["title"].as_str().unwrap())
        .collect();
    assert_eq!(titles, ["API", "Last"]);
    assert!(page2["next_cursor"].is_null());
    assert_eq!(page2["has_more"], false);
    let url = format!("/v1/projects/{}", second["id"].as_str().unwrap());
    let got = app.get(&url, &admin).await;
    assert_eq!(got.ok(200)["path_id"], path_id.as_str());
    let edited = app
        .patch(
            &url,
            &admin,
            &got.header("etag").unwrap(),
            json!({"difficulty": 3, "position": 10}),
        )
        .await;
    assert_eq!(edited.ok(200)["position"], 10);
    let clash = format!("/v1/projects/{}", third["id"].as_str().unwrap());
    app.patch(&clash, &admin, "\"1\"", json!({"position": 1}))
        .await
        .problem(409);
    let unknown = format!("/v1/paths/{}/projects", uuid::Uuid::now_v7());
    app.post(&unknown, &admin, json!({"title": "P", "difficulty": 1}))
        .await
        .problem(404);
    app.get(&unknown, &admin).await.problem(404);
}

async fn twenty_concurrent_writers_all_succeed(app: TestApp) {
    let admin = app.admin().await;
    let writes = (0..20).map(|i| {
        app.post(
            "/v1/paths",
            &admin,
            json!({"title": format!("Path {i}"), "field": "f", "complexity": 1}),
        )
    });
    let replies = futures_util::future::join_all(writes).await;
    for reply in &replies {
        reply.ok(201);
    }
    let list = app.get("/v1/paths?limit=200", &admin).await.ok(200).clone();
    assert_eq!(list["items"].as_array().unwrap().len(), 20);
}

/// A read with `If-None-Match` naming the object's current ETag answers 304 with no body; any
/// other tag, or a changed object, answers 200 with the object.
async fn unchanged_objects_answer_304(app: TestApp) {
    let admin = app.admin().await;
    let body = serde_json::json!({"title": "Rust", "field": "backend", "complexity": 2});
    let created = app.post("/v1/paths", &admin, body).await;
    let id = created.ok(201)["id"].as_str().unwrap().to_owned();
    let url = format!("/v1/paths/{id}");
    let etag = app.get(&url, &admin).await.header("etag").unwrap();
    let read = |tag: String| {
        let (app, url, admin) = (&app, url.clone(), admin.clone());
        async move {
            app.call("GET", &url, Some(&admin), None, &[("if-none-match", &tag)])
                .await
        }
    };
    let unchanged = read(etag.clone()).await;
    assert_eq!(unchanged.status, 304);
    assert_eq!(unchanged.body, serde_json::Value::Null);
    assert_eq!(unchanged.header("etag"), Some(etag.clone()));
    assert_eq!(read(format!("W/{etag}")).await.status, 304);
    assert_eq!(read(format!("\"9\", {etag}")).await.status, 304);
    assert_eq!(read("*".into()).await.status, 304);
    assert_eq!(read("\"9\"".into()).await.ok(200)["id"], id.as_str());
    app.patch(&url, &admin, &etag, serde_json::json!({"title": "Rust 2"}))
        .await
        .ok(200);
    let changed = read(etag).await;
    assert_eq!(changed.ok(200)["title"], "Rust 2");
}

/// A PATCH is a JSON Merge Patch: `null` empties a text that may be empty and is refused for a
/// field that always has a value; a patch that changes nothing keeps the version.
async fn updates_are_merge_patches(app: TestApp) {
    let admin = app.admin().await;
    let body = json!({"title": "Data", "field": "data", "complexity": 2, "description": "SQL"});
    let created = app.post("/v1/paths", &admin, body).await;
    let url = format!("/v1/paths/{}", created.ok(201)["id"].as_str().unwrap());
    let same = app
        .patch(
            &url,
            &admin,
            "\"1\"",
            json!({"title": "Data", "complexity": 2}),
        )
        .await;
    assert_eq!(same.ok(200)["title"], "Data");
    assert_eq!(same.header("etag").as_deref(), Some("\"1\""));
    let auth = format!("Bearer {admin}");
    let headers = [
        ("authorization", auth.as_str()),
        ("if-match", "\"1\""),
        ("content-type", "application/merge-patch+json"),
    ];
    let emptied = app
        .raw(
            "PATCH",
            &url,
            &headers,
            br#"{"description": null}"#.to_vec(),
        )
        .await;
    assert_eq!(emptied.ok(200)["description"], "");
    assert_eq!(emptied.body["title"], "Data");
    assert_eq!(emptied.header("etag").as_deref(), Some("\"2\""));
    let refused = app
        .patch(&url, &admin, "\"2\"", json!({"title": null}))
        .await;
    assert_eq!(refused.problem(422)["errors"][0]["field"], "title");
    let now = app.get(&url, &admin).await;
    assert_eq!(now.ok(200)["title"], "Data");
    assert_eq!(now.header("etag").as_deref(), Some("\"2\""));
}

on_both_databases!(
    unchanged_objects_answer_304,
    updates_are_merge_patches,
    staff_build_the_catalog_and_everyone_reads_it,
    paths_are_edited_with_their_etag,
    projects_keep_their_order,
    twenty_concurrent_writers_all_succeed,
);
