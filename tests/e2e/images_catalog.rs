//! Issue #10, point 2: the catalog's service images on a real node, run the way the seed tutorials
//! run them: a database reached by name from a second container on a user network with the given
//! password (mariadb as the seeds' mysql, postgres), Redis PING from another container, Apache and
//! nginx serving a bind-mounted page through `-p`, a notebook printing its token in `docker logs`,
//! and `docker stop` ending each server cleanly (exit code 0, well before Docker's 10 s SIGKILL).

use std::time::{Duration, Instant};

use e2e::Stack;
use protocol::CreateSessionResponse;
use serial_test::serial;

use crate::multinode::{create, delete, exec};

/// Runs `cmd` on node1 and asserts exit code 0; returns stdout.
async fn ok(stack: &Stack, s: &CreateSessionResponse, cmd: &str) -> String {
    let out = exec(stack, s, "node1", cmd).await;
    assert_eq!(out.exit_code, 0, "$ {cmd}\nstdout: {}\nstderr: {}", out.stdout, out.stderr);
    out.stdout
}

/// Retries `cmd` on node1 until its stdout contains `needle` (60 s at most); returns that stdout.
async fn until(stack: &Stack, s: &CreateSessionResponse, cmd: &str, needle: &str) -> String {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let out = exec(stack, s, "node1", cmd).await;
        if out.stdout.contains(needle) {
            return out.stdout;
        }
        assert!(Instant::now() < deadline, "$ {cmd}\nnever printed {needle:?}\nstdout: {}\nstderr: {}", out.stdout, out.stderr);
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

/// `docker stop NAME` must end the container by its stop signal: exit code 0, in under 8 s.
async fn stops_cleanly(stack: &Stack, s: &CreateSessionResponse, name: &str) {
    let t = Instant::now();
    ok(stack, s, &format!("docker stop {name} >/dev/null")).await;
    let took = t.elapsed();
    let code = ok(stack, s, &format!("docker inspect -f '{{{{.State.ExitCode}}}}' {name}")).await;
    eprintln!("docker stop {name}: {took:?}, exit code {}", code.trim());
    assert_eq!(code.trim(), "0", "{name} did not stop cleanly");
    assert!(took < Duration::from_secs(8), "docker stop {name} took {took:?} (killed?)");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[serial]
async fn catalog_services_behave_like_the_official_images() {
    let stack = Stack::start(|_| {}).await.expect("stack");
    let s = create(&stack, "{}").await;
    ok(&stack, &s, "docker network create app >/dev/null").await;

    // The seeds' MySQL: root password, a database, a second container reaching it by name.
    let t = Instant::now();
    ok(&stack, &s, "docker run -d --name db --network app -e MYSQL_ROOT_PASSWORD=root \
        -e MYSQL_DATABASE=agro_db -e MYSQL_USER=app -e MYSQL_PASSWORD=apppw mariadb >/dev/null").await;
    let out = until(&stack, &s, "docker run --rm --network app mariadb \
        mysql -h db -uroot -proot -N -e 'SELECT SCHEMA_NAME FROM information_schema.SCHEMATA'", "agro_db").await;
    eprintln!("mariadb: pull + init + query by name in {:?}", t.elapsed());
    assert!(out.contains("mysql"), "{out}");
    let out = exec(&stack, &s, "node1", "docker run --rm --network app mariadb mysql -h db -uroot -pwrong -e 'SELECT 1'").await;
    assert_ne!(out.exit_code, 0, "a wrong password was accepted");
    assert!(out.stderr.contains("Access denied"), "{}", out.stderr);
    // The app user from the Flask side of seed 000, with pymysql from the python image.
    let out = ok(&stack, &s, "docker run --rm --network app python python -c \"import pymysql; \
        c = pymysql.connect(host='db', user='app', password='apppw', database='agro_db'); \
        cur = c.cursor(); cur.execute('SELECT DATABASE()'); print(cur.fetchone()[0])\"").await;
    assert_eq!(out.trim(), "agro_db");
    let logs = ok(&stack, &s, "docker logs db 2>&1").await;
    assert!(logs.contains("ready for connections"), "{logs}");
    assert!(ok(&stack, &s, "docker volume ls -q | wc -l").await.trim() != "0", "no anonymous volume for /var/lib/mysql");
    stops_cleanly(&stack, &s, "db").await;

    // postgres: password, database, psql from a second container, psycopg2 from python.
    let t = Instant::now();
    ok(&stack, &s, "docker run -d --name pg --network app -e POSTGRES_PASSWORD=pgpw -e POSTGRES_DB=votes postgres >/dev/null").await;
    let out = until(&stack, &s, "docker run --rm --network app -e PGPASSWORD=pgpw postgres \
        psql -h pg -U postgres -d votes -tAc 'SELECT current_database()'", "votes").await;
    eprintln!("postgres: pull + init + query by name in {:?}", t.elapsed());
    assert_eq!(out.trim(), "votes");
    let out = ok(&stack, &s, "docker run --rm --network app python python -c \"import psycopg2; \
        c = psycopg2.connect(host='pg', user='postgres', password='pgpw', dbname='votes'); \
        cur = c.cursor(); cur.execute('SELECT 6 * 7'); print(cur.fetchone()[0])\"").await;
    assert_eq!(out.trim(), "42");
    let out = exec(&stack, &s, "node1", "docker run --rm --network app -e PGPASSWORD=nope postgres psql -h pg -U postgres -c 'SELECT 1'").await;
    assert_ne!(out.exit_code, 0, "a wrong password was accepted");
    stops_cleanly(&stack, &s, "pg").await;
    let out = exec(&stack, &s, "node1", "docker run --name nopw postgres; docker logs nopw 2>&1").await;
    assert!(out.stdout.contains("superuser password is not specified"), "{}", out.stdout);

    // redis: PING and a counter from another container by name.
    ok(&stack, &s, "docker run -d --name cache --network app redis >/dev/null").await;
    until(&stack, &s, "docker run --rm --network app redis redis-cli -h cache ping", "PONG").await;
    let out = ok(&stack, &s, "docker run --rm --network app python python -c \"import redis; \
        r = redis.Redis(host='cache'); print(r.incr('hits'), r.incr('hits'))\"").await;
    assert_eq!(out.trim(), "1 2");
    stops_cleanly(&stack, &s, "cache").await;

    // httpd and nginx: a bind-mounted page on the official images' paths, through -p.
    ok(&stack, &s, "mkdir -p /root/site && echo '<h1>hola desde muelle</h1>' > /root/site/index.html").await;
    ok(&stack, &s, "docker run -d --name apache -p 8001:80 -v /root/site:/usr/local/apache2/htdocs httpd >/dev/null").await;
    until(&stack, &s, "curl -s http://localhost:8001/", "hola desde muelle").await;
    ok(&stack, &s, "docker run -d --name web -p 8002:80 -v /root/site:/usr/share/nginx/html nginx >/dev/null").await;
    until(&stack, &s, "curl -s http://localhost:8002/", "hola desde muelle").await;
    ok(&stack, &s, "docker run -d --name plain -p 8003:80 nginx >/dev/null").await;
    until(&stack, &s, "curl -s http://localhost:8003/", "Welcome to nginx!").await;
    let logs = ok(&stack, &s, "docker logs apache 2>&1").await;
    assert!(logs.contains("\"GET / HTTP/1.1\" 200"), "apache access log not in docker logs: {logs}");
    let logs = ok(&stack, &s, "docker logs web 2>&1").await;
    assert!(logs.contains("\"GET / HTTP/1.1\" 200"), "nginx access log not in docker logs: {logs}");
    stops_cleanly(&stack, &s, "apache").await;
    stops_cleanly(&stack, &s, "web").await;

    // node and the notebook.
    assert_eq!(ok(&stack, &s, "docker run --rm node node -e 'console.log(6 * 7)'").await.trim(), "42");
    let t = Instant::now();
    ok(&stack, &s, "mkdir -p /root/nb && docker run -d --name nb -p 8888:8888 -v /root/nb:/home/jovyan/work jupyter >/dev/null").await;
    let logs = until(&stack, &s, "docker logs nb 2>&1", "token=").await;
    let token: String = logs
        .split("token=")
        .nth(1)
        .unwrap()
        .chars()
        .take_while(char::is_ascii_hexdigit)
        .collect();
    assert!(token.len() >= 32, "{logs}");
    until(&stack, &s, &format!("curl -s 'http://localhost:8888/api/contents/work?token={token}'"), "\"directory\"").await;
    eprintln!("jupyter: pull + start + API with the token in {:?}", t.elapsed());
    let code = ok(&stack, &s, "curl -s -o /dev/null -w '%{http_code}' http://localhost:8888/api/contents").await;
    assert_eq!(code, "403", "the notebook API answered without the token");
    stops_cleanly(&stack, &s, "nb").await;

    ok(&stack, &s, "docker rm -f $(docker ps -aq) >/dev/null").await;
    eprintln!("{}", ok(&stack, &s, "docker images --format '{{.Repository}}:{{.Tag}} {{.Size}}'").await);
    delete(&stack, &s).await;
}

/// Issue #10, point 1: nodes run a current engine with the compose v2 and buildx plugins, and still
/// answer `docker version` quickly after the session is requested.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[serial]
async fn nodes_run_a_current_engine_with_compose_and_buildx() {
    let stack = Stack::start(|_| {}).await.expect("stack");
    let t = Instant::now();
    let s = create(&stack, "{}").await;
    let deadline = Instant::now() + Duration::from_secs(30);
    while exec(&stack, &s, "node1", "docker version >/dev/null 2>&1").await.exit_code != 0 {
        assert!(Instant::now() < deadline, "dockerd never answered");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    eprintln!("session requested → docker version answers in {:?}", t.elapsed());
    let server = ok(&stack, &s, "docker version -f '{{.Server.Version}}'").await;
    let major: u32 = server.trim().split('.').next().unwrap().parse().unwrap();
    assert!(major >= 26, "engine {server}");
    let compose = ok(&stack, &s, "docker compose version").await;
    assert!(compose.contains("Docker Compose version v2") || compose.contains("version 2."), "{compose}");
    let buildx = ok(&stack, &s, "docker buildx version").await;
    assert!(buildx.contains("buildx"), "{buildx}");
    eprintln!("engine {} | {} | {}", server.trim(), compose.trim(), buildx.trim());
    // compose v2 end to end: a service reaching another by name, and down.
    ok(&stack, &s, "mkdir -p /root/app && cd /root/app && printf 'services:\\n  cache:\\n    image: redis\\n  ping:\\n    image: redis\\n    command: sh -c \"sleep 1; redis-cli -h cache ping\"\\n    depends_on: [cache]\\n' > compose.yaml").await;
    let out = until(&stack, &s, "cd /root/app && docker compose up --abort-on-container-exit --exit-code-from ping 2>&1 | tail -n 20", "PONG").await;
    eprintln!("{out}");
    ok(&stack, &s, "cd /root/app && docker compose down >/dev/null 2>&1").await;
    let out = ok(&stack, &s, "docker run hello-world").await;
    assert!(out.contains("Hello from Docker!"));
    delete(&stack, &s).await;
}
