//! The instructor's pages: `/instructor` (the classes and a form for a new one) and
//! `/instructor/classes/{id}` (the live dashboard: students × steps over server-sent events,
//! time on the current step, who is stuck, messages, class actions, a student's terminal
//! read-only). The instructor token comes once in the link's fragment and is kept in
//! localStorage.

use std::rc::Rc;

use gloo_timers::callback::Interval;
use protocol::classes::{ClassProgress, ClassSummary, CreateClassRequest, ExtendClassResult, SendMessage, StudentProgress};
use protocol::LessonSummary;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use yew::prelude::*;
use yew_router::prelude::*;

use crate::components::error_banner::ErrorBanner;
use crate::components::lang_switch::LangSwitch;
use crate::error::Error;
use crate::hooks::use_lang;
use crate::i18n::ClassStrings;
use crate::routes::Route;
use crate::services::class_api;
use crate::services::terminal_socket::TerminalSession;

const STUCK_KEY: &str = "muelle.stuck-minutes";

/// The token of the page's fragment (`#token=…`), saved and then removed from the address bar.
fn token_from_fragment() -> Option<String> {
    let location = web_sys::window()?.location();
    let hash = location.hash().ok()?;
    let token = hash.trim_start_matches('#').split('&').find_map(|kv| kv.strip_prefix("token="))?.to_string();
    class_api::save_instructor(&token);
    if let Ok(history) = web_sys::window()?.history() {
        let path = location.pathname().unwrap_or_default();
        let _ = history.replace_state_with_url(&JsValue::NULL, "", Some(&path));
    }
    Some(token)
}

fn instructor_token() -> Option<String> {
    token_from_fragment().or_else(class_api::load_instructor)
}

fn topbar(c: &ClassStrings, extra: Html) -> Html {
    html! {
        <header class="topbar">
            <Link<Route> to={Route::Home} classes="brand">{ "muelle" }</Link<Route>>
            <Link<Route> to={Route::Instructor} classes="nav">{ c.instructor }</Link<Route>>
            { extra }
            <span class="spacer"></span>
            <LangSwitch />
        </header>
    }
}

fn input_value(e: &InputEvent) -> String {
    let input: web_sys::HtmlInputElement = e.target_unchecked_into();
    input.value()
}

/// `/instructor`
#[component]
pub fn InstructorPage() -> Html {
    let lang = use_lang().lang;
    let c = lang.class_strings();
    let token = use_state(instructor_token);
    let classes = use_state(|| None::<Result<Vec<ClassSummary>, Error>>);
    let lessons = use_state(Vec::<LessonSummary>::new);
    {
        let (token, classes, lessons) = (token.clone(), classes.clone(), lessons.clone());
        use_effect_with(lang.code(), move |code| {
            let code = code.to_string();
            if let Some(t) = (*token).clone() {
                wasm_bindgen_futures::spawn_local(async move {
                    classes.set(Some(class_api::list_classes(&t).await));
                    if let Ok(all) = crate::services::lesson_api::list_lessons().await {
                        // One entry per lesson, in the page's language when it has it.
                        let mut one = Vec::<LessonSummary>::new();
                        for l in all {
                            match one.iter().position(|x| x.id == l.id) {
                                Some(i) if l.lang == code => one[i] = l,
                                Some(_) => {}
                                None => one.push(l),
                            }
                        }
                        lessons.set(one);
                    }
                });
            }
        });
    }
    let Some(t) = (*token).clone() else {
        return html! { <div class="page instructor">{ topbar(c, html! {}) }<main class="hero"><p>{ c.need_token }</p></main></div> };
    };
    let list = match &*classes {
        None => html! { <p class="muted">{ "…" }</p> },
        Some(Err(err)) => html! { <ErrorBanner error={Some(err.clone())} /> },
        Some(Ok(list)) => html! {
            <ul class="class-list">
                { for list.iter().map(|k| html! {
                    <li key={k.id.clone()}>
                        <Link<Route> to={Route::ClassDashboard { id: k.id.clone() }}>{ k.name.clone() }</Link<Route>>
                        { format!(" · {} · {}/{} ", k.join_code, k.students, k.seats) }
                        if k.ended { <span class="pill">{ c.ended }</span> }
                    </li>
                }) }
            </ul>
        },
    };
    html! {
        <div class="page instructor">
            { topbar(c, html! {}) }
            <main class="instructor-main">
                <h1>{ c.classes }</h1>
                { list }
                <NewClassForm token={t} lessons={(*lessons).clone()} />
            </main>
        </div>
    }
}

/// Props of [`NewClassForm`].
#[derive(Properties, PartialEq)]
struct NewClassFormProps {
    token: String,
    lessons: Vec<LessonSummary>,
}

#[component]
fn NewClassForm(props: &NewClassFormProps) -> Html {
    let c = use_lang().lang.class_strings();
    let navigator = use_navigator();
    let name = use_state(String::new);
    let picked = use_state(Vec::<String>::new);
    let nodes = use_state(|| 1u8);
    let minutes = use_state(|| 60u32);
    let seats = use_state(|| 30u32);
    let error = use_state(|| None::<Error>);
    let busy = use_state(|| false);
    let onsubmit = {
        let (name, picked, nodes, minutes, seats, error, busy) =
            (name.clone(), picked.clone(), nodes.clone(), minutes.clone(), seats.clone(), error.clone(), busy.clone());
        let token = props.token.clone();
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            let req = CreateClassRequest {
                name: name.trim().to_string(),
                lessons: (*picked).clone(),
                nodes: Some(*nodes),
                duration_minutes: Some(*minutes),
                seats: *seats,
            };
            let (token, error, busy, navigator) = (token.clone(), error.clone(), busy.clone(), navigator.clone());
            busy.set(true);
            wasm_bindgen_futures::spawn_local(async move {
                match class_api::create_class(&token, &req).await {
                    Ok(created) => {
                        if let Some(nav) = navigator {
                            nav.push(&Route::ClassDashboard { id: created.id });
                        }
                    }
                    Err(err) => error.set(Some(err)),
                }
                busy.set(false);
            });
        })
    };
    let lesson_boxes = props.lessons.iter().map(|l| {
        let id = l.id.clone();
        let checked = picked.contains(&id);
        let onchange = {
            let (picked, id) = (picked.clone(), id.clone());
            Callback::from(move |_: Event| {
                let mut now = (*picked).clone();
                match now.iter().position(|x| *x == id) {
                    Some(i) => drop(now.remove(i)),
                    None => now.push(id.clone()),
                }
                picked.set(now);
            })
        };
        html! {
            <label key={id.clone()} class="lesson-pick">
                <input type="checkbox" name="lesson" value={id.clone()} {checked} {onchange} />
                { format!(" {}", l.title) }
            </label>
        }
    });
    let num = |state: &UseStateHandle<u32>| {
        let state = state.clone();
        Callback::from(move |e: InputEvent| state.set(input_value(&e).parse().unwrap_or(0)))
    };
    let on_nodes = {
        let nodes = nodes.clone();
        Callback::from(move |e: InputEvent| nodes.set(input_value(&e).parse().unwrap_or(1)))
    };
    let on_name = {
        let name = name.clone();
        Callback::from(move |e: InputEvent| name.set(input_value(&e)))
    };
    html! {
        <form class="new-class" {onsubmit}>
            <h2>{ c.new_class }</h2>
            <label>{ c.class_name }<input type="text" name="class_name" required=true maxlength="80" value={(*name).clone()} oninput={on_name} /></label>
            <fieldset>
                <legend>{ c.lessons_label }</legend>
                if props.lessons.is_empty() { <p class="muted">{ c.playground }</p> }
                { for lesson_boxes }
                if !picked.is_empty() { <p class="muted">{ picked.join(" → ") }</p> }
            </fieldset>
            <label>{ c.nodes_per_student }<input type="number" name="nodes" min="1" max="5" value={nodes.to_string()} oninput={on_nodes} /></label>
            <label>{ c.duration_min }<input type="number" name="minutes" min="1" max="1440" value={minutes.to_string()} oninput={num(&minutes)} /></label>
            <label>{ c.seats }<input type="number" name="seats" min="1" max="500" value={seats.to_string()} oninput={num(&seats)} /></label>
            <button type="submit" class="start" disabled={*busy}>{ c.create }</button>
            <ErrorBanner error={(*error).clone()} />
        </form>
    }
}

/// The dashboard's live view: the last progress and when it arrived (this browser's clock).
#[derive(Clone, PartialEq)]
struct Live {
    progress: ClassProgress,
    received_s: f64,
}

fn now_s() -> f64 {
    js_sys::Date::now() / 1000.0
}

/// Follows `GET /api/classes/{id}/events` while the page lives.
#[hook]
fn use_class_events(id: String, token: Option<String>, lang: &'static str) -> UseStateHandle<Option<Live>> {
    let live = use_state(|| None::<Live>);
    {
        let live = live.clone();
        use_effect_with((id, token, lang), move |(id, token, lang)| {
            let mut kept: Option<(web_sys::EventSource, Closure<dyn FnMut(web_sys::MessageEvent)>)> = None;
            if let Some(token) = token {
                let url = format!("/api/classes/{id}/events?lang={lang}&token={token}");
                if let Ok(source) = web_sys::EventSource::new(&url) {
                    let on_progress = Closure::<dyn FnMut(web_sys::MessageEvent)>::new(move |ev: web_sys::MessageEvent| {
                        let Some(text) = ev.data().as_string() else { return };
                        if let Ok(progress) = serde_json::from_str::<ClassProgress>(&text) {
                            live.set(Some(Live { progress, received_s: now_s() }));
                        }
                    });
                    let _ = source.add_event_listener_with_callback("progress", on_progress.as_ref().unchecked_ref());
                    kept = Some((source, on_progress));
                }
            }
            move || {
                if let Some((source, _closure)) = kept {
                    source.close();
                }
            }
        });
    }
    live
}

/// Props of [`ClassDashboard`].
#[derive(Properties, PartialEq)]
pub struct ClassDashboardProps {
    /// Class id.
    pub id: AttrValue,
}

/// What the terminal viewer shows: a student's node.
#[derive(Clone, PartialEq)]
struct Watched {
    student: String,
    name: String,
    node: String,
}

/// `/instructor/classes/{id}`
#[component]
pub fn ClassDashboard(props: &ClassDashboardProps) -> Html {
    let lang = use_lang().lang;
    let c = lang.class_strings();
    let token = use_state(instructor_token);
    let live = use_class_events(props.id.to_string(), (*token).clone(), lang.code());
    let stuck_min = use_state(|| {
        web_sys::window()
            .and_then(|w| w.local_storage().ok().flatten())
            .and_then(|s| s.get_item(STUCK_KEY).ok().flatten())
            .and_then(|v| v.parse::<u32>().ok())
            .unwrap_or(5)
    });
    let tick = use_state(|| 0u32);
    {
        let tick = tick.clone();
        use_effect_with((), move |()| {
            let interval = Interval::new(1_000, move || tick.set(tick.wrapping_add(1)));
            move || drop(interval)
        });
    }
    let qr = use_state(|| None::<String>);
    {
        let (qr, token, id) = (qr.clone(), (*token).clone(), props.id.to_string());
        use_effect_with(id.clone(), move |_| {
            if let Some(t) = token {
                wasm_bindgen_futures::spawn_local(async move {
                    if let Ok(svg) = class_api::text(&t, &id, "qr").await {
                        qr.set(Some(svg));
                    }
                });
            }
        });
    }
    let error = use_state(|| None::<Error>);
    let extend_report = use_state(|| None::<ExtendClassResult>);
    let watched = use_state(|| None::<Watched>);
    let all_msg = use_state(String::new);
    let Some(t) = (*token).clone() else {
        return html! { <div class="page instructor">{ topbar(c, html! {}) }<main class="hero"><p>{ c.need_token }</p></main></div> };
    };
    let id = props.id.to_string();
    let run: Rc<dyn Fn(String, serde_json::Value)> = {
        let (t, error) = (t.clone(), error.clone());
        Rc::new(move |path: String, body: serde_json::Value| {
            let (t, error) = (t.clone(), error.clone());
            wasm_bindgen_futures::spawn_local(async move {
                if let Err(err) = class_api::action(&t, &path, &body).await {
                    error.set(Some(err));
                }
            });
        })
    };
    let Some(Live { progress: p, received_s }) = (*live).clone() else {
        return html! { <div class="page instructor">{ topbar(c, html! {}) }<main class="hero"><p class="muted">{ "…" }</p></main></div> };
    };
    let server_now = p.now as f64 + (now_s() - received_s);
    let on_extend = {
        let (t, id, error, report) = (t.clone(), id.clone(), error.clone(), extend_report.clone());
        Callback::from(move |_: MouseEvent| {
            let (t, id, error, report) = (t.clone(), id.clone(), error.clone(), report.clone());
            wasm_bindgen_futures::spawn_local(async move {
                match class_api::extend_all(&t, &id).await {
                    Ok(r) => report.set(Some(r)),
                    Err(err) => error.set(Some(err)),
                }
            });
        })
    };
    let on_end = {
        let (run, id, confirm) = (run.clone(), id.clone(), c.confirm_end);
        Callback::from(move |_: MouseEvent| {
            if web_sys::window().and_then(|w| w.confirm_with_message(confirm).ok()).unwrap_or(false) {
                run(format!("{id}/end"), serde_json::json!({}));
            }
        })
    };
    let on_csv = {
        let (t, id, code) = (t.clone(), id.clone(), p.join_code.clone());
        Callback::from(move |_: MouseEvent| {
            let (t, id, code) = (t.clone(), id.clone(), code.clone());
            wasm_bindgen_futures::spawn_local(async move {
                if let Ok(csv) = class_api::text(&t, &id, &format!("csv?lang={}", "es")).await {
                    download(&format!("class-{code}.csv"), &csv);
                }
            });
        })
    };
    let on_all_msg = {
        let (t, id, all_msg, error) = (t.clone(), id.clone(), all_msg.clone(), error.clone());
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            let text = all_msg.trim().to_string();
            if text.is_empty() {
                return;
            }
            let (t, id, all_msg, error) = (t.clone(), id.clone(), all_msg.clone(), error.clone());
            wasm_bindgen_futures::spawn_local(async move {
                match class_api::send_message(&t, &id, &SendMessage { text, student: None }).await {
                    Ok(()) => all_msg.set(String::new()),
                    Err(err) => error.set(Some(err)),
                }
            });
        })
    };
    let on_stuck = {
        let stuck_min = stuck_min.clone();
        Callback::from(move |e: InputEvent| {
            let v = input_value(&e).parse().unwrap_or(5);
            if let Some(s) = web_sys::window().and_then(|w| w.local_storage().ok().flatten()) {
                let _ = s.set_item(STUCK_KEY, &v.to_string());
            }
            stuck_min.set(v);
        })
    };
    let origin = web_sys::window().and_then(|w| w.location().origin().ok()).unwrap_or_default();
    let join_url = format!("{origin}/join/{}", p.join_code);
    let columns: Vec<(String, u32, String)> = p
        .lessons
        .iter()
        .flat_map(|l| l.steps.iter().zip(1u32..).map(move |(title, n)| (l.id.clone(), n, title.clone())))
        .collect();
    let header = columns.iter().map(|(lesson, n, title)| {
        html! { <th class={classes!("step-col", (*n == 1).then_some("lesson-start"))} data-lesson={lesson.clone()} title={format!("{lesson} · {title}")}>{ n.to_string() }</th> }
    });
    // One header cell per lesson above its steps' columns.
    let lesson_header = p.lessons.iter().filter(|l| !l.steps.is_empty()).map(|l| {
        html! { <th class="lesson-col" scope="colgroup" colspan={l.steps.len().to_string()} data-lesson={l.id.clone()}>{ l.title.clone() }</th> }
    });
    let rows = p.students.iter().map(|s| {
        student_row(c, s, &columns, server_now, *stuck_min, &id, &t, &run, &watched)
    });
    let viewer = match &*watched {
        Some(w) => {
            let url = ws_url(&format!(
                "/api/classes/{id}/students/{}/nodes/{}/terminal?token={t}",
                w.student, w.node
            ));
            let close = {
                let watched = watched.clone();
                Callback::from(move |_: MouseEvent| watched.set(None))
            };
            html! {
                <section class="watch" aria-label={c.read_only}>
                    <header>
                        <strong>{ format!("{} · {}", w.name, w.node) }</strong>
                        <span class="pill read-only">{ c.read_only }</span>
                        <button type="button" onclick={close}>{ c.close }</button>
                    </header>
                    <ReadOnlyTerminal key={url.clone()} url={url.clone()} />
                </section>
            }
        }
        None => html! {},
    };
    html! {
        <div class="page instructor dashboard">
            { topbar(c, html! { <span class="lesson-name">{ p.name.clone() }</span> }) }
            <main class="dashboard-main">
                <section class="class-head">
                    <div>
                        <p>{ c.join_code }{ ": " }<strong class="join-code-big">{ p.join_code.clone() }</strong></p>
                        <p>{ c.join_link }{ ": " }<a class="join-url" href={join_url.clone()}>{ join_url.clone() }</a></p>
                        <p class="muted">{ format!("{}/{} · {} × {}", p.students.len(), p.seats, p.seats, p.nodes) }
                            if p.ended { <span class="pill">{ c.ended }</span> }</p>
                    </div>
                    if let Some(svg) = &*qr {
                        <div class="qr">{ Html::from_html_unchecked(AttrValue::from(svg.clone())) }</div>
                    }
                </section>
                <section class="class-actions">
                    <button type="button" class="extend-all" onclick={on_extend} disabled={p.ended}>{ c.extend_all }</button>
                    <button type="button" class="end-all" onclick={on_end} disabled={p.ended}>{ c.end_all }</button>
                    <button type="button" class="export-csv" onclick={on_csv}>{ c.export_csv }</button>
                    <label>{ c.stuck_after }{ " " }<input type="number" class="stuck-minutes" min="1" max="120" value={stuck_min.to_string()} oninput={on_stuck} />{ " " }{ c.minutes }</label>
                    <form class="message-all" onsubmit={on_all_msg}>
                        <input type="text" name="message_all" placeholder={c.message_all} maxlength="500" value={(*all_msg).clone()}
                            oninput={{ let m = all_msg.clone(); Callback::from(move |e: InputEvent| m.set(input_value(&e))) }} />
                        <button type="submit">{ c.send }</button>
                    </form>
                </section>
                if let Some(r) = &*extend_report {
                    <p class={classes!("extend-report", (r.at_maximum > 0).then_some("warn"))} role="status">
                        { format!("{} {}", r.extended, c.extended) }
                        if r.at_maximum > 0 { { format!(" · {} {}", r.at_maximum, c.at_maximum) } }
                    </p>
                }
                <ErrorBanner error={(*error).clone()} />
                if p.students.is_empty() {
                    <p class="muted">{ c.no_students }</p>
                } else {
                    <table class="progress-table">
                        <thead>
                            if p.lessons.len() > 1 {
                                <tr class="lesson-row"><th></th>{ for lesson_header }<th></th><th></th></tr>
                            }
                            <tr><th>{ c.student }</th>{ for header }<th>{ c.on_step }</th><th></th></tr>
                        </thead>
                        <tbody>{ for rows }</tbody>
                    </table>
                }
                { viewer }
            </main>
        </div>
    }
}

#[allow(clippy::too_many_arguments)]
fn student_row(
    c: &'static ClassStrings,
    s: &StudentProgress,
    columns: &[(String, u32, String)],
    server_now: f64,
    stuck_min: u32,
    class: &str,
    token: &str,
    run: &Rc<dyn Fn(String, serde_json::Value)>,
    watched: &UseStateHandle<Option<Watched>>,
) -> Html {
    let done = |lesson: &str, n: u32| s.done.iter().any(|d| d.lesson == lesson && d.step == n);
    let cells = columns.iter().map(|(lesson, n, _)| {
        if done(lesson, *n) {
            html! { <td class={classes!("tick", (*n == 1).then_some("lesson-start"))} data-lesson={lesson.clone()} data-step={n.to_string()}>{ "✓" }</td> }
        } else {
            html! { <td class={classes!("open", (*n == 1).then_some("lesson-start"))} data-lesson={lesson.clone()} data-step={n.to_string()}></td> }
        }
    });
    let all_done = !columns.is_empty() && columns.iter().all(|(l, n, _)| done(l, *n));
    let on_step = (server_now - s.step_since as f64).max(0.0) as u64;
    let stuck = s.session_id.is_some() && !all_done && on_step >= u64::from(stuck_min) * 60;
    let node = s.nodes.first().cloned();
    let on_watch = {
        let (watched, id, name, node) = (watched.clone(), s.id.clone(), s.name.clone(), node.clone());
        Callback::from(move |_: MouseEvent| {
            if let Some(node) = node.clone() {
                watched.set(Some(Watched { student: id.clone(), name: name.clone(), node }));
            }
        })
    };
    let on_reset = {
        let (run, path) = (run.clone(), format!("{class}/students/{}/reset", s.id));
        Callback::from(move |_: MouseEvent| run(path.clone(), serde_json::json!({})))
    };
    let on_msg = {
        let (token, class, student, prompt) = (token.to_string(), class.to_string(), s.id.clone(), c.message);
        Callback::from(move |_: MouseEvent| {
            let text = web_sys::window().and_then(|w| w.prompt_with_message(prompt).ok().flatten()).unwrap_or_default();
            if text.trim().is_empty() {
                return;
            }
            let (token, class, student) = (token.clone(), class.clone(), student.clone());
            wasm_bindgen_futures::spawn_local(async move {
                let _ = class_api::send_message(&token, &class, &SendMessage { text, student: Some(student) }).await;
            });
        })
    };
    let alive = s.session_id.is_some();
    html! {
        <tr key={s.id.clone()} class={classes!("student-row", stuck.then_some("stuck"), (!alive).then_some("gone"))} data-student={s.name.clone()}>
            <th scope="row">{ s.name.clone() }</th>
            { for cells }
            <td class="on-step">{ if alive { format!("{}:{:02}", on_step / 60, on_step % 60) } else { c.left.to_string() } }</td>
            <td class="student-actions">
                <button type="button" class="watch-btn" onclick={on_watch} disabled={!alive}>{ c.watch }</button>
                <button type="button" class="msg-btn" onclick={on_msg}>{ c.message }</button>
                <button type="button" class="reset-btn" onclick={on_reset} disabled={!alive}>{ c.reset_node }</button>
            </td>
        </tr>
    }
}

fn ws_url(path: &str) -> String {
    let location = web_sys::window().map(|w| w.location());
    let protocol = location.as_ref().and_then(|l| l.protocol().ok()).unwrap_or_default();
    let host = location.as_ref().and_then(|l| l.host().ok()).unwrap_or_default();
    let scheme = if protocol == "https:" { "wss" } else { "ws" };
    format!("{scheme}://{host}{path}")
}

/// Saves `text` as a file named `name` (a data: link clicked).
fn download(name: &str, text: &str) {
    let Some(doc) = web_sys::window().and_then(|w| w.document()) else { return };
    let Ok(a) = doc.create_element("a") else { return };
    let href = format!("data:text/csv;charset=utf-8,{}", js_sys::encode_uri_component(text));
    let _ = a.set_attribute("href", &href);
    let _ = a.set_attribute("download", name);
    if let Ok(a) = a.dyn_into::<web_sys::HtmlElement>() {
        a.click();
    }
}

/// Props of [`ReadOnlyTerminal`].
#[derive(Properties, PartialEq)]
struct ReadOnlyTerminalProps {
    url: String,
}

/// A terminal over the read-only socket: what is typed here is dropped by the server.
#[component]
fn ReadOnlyTerminal(props: &ReadOnlyTerminalProps) -> Html {
    let node = use_node_ref();
    {
        let (node, url) = (node.clone(), props.url.clone());
        use_effect_with(url.clone(), move |_| {
            let session = node
                .cast::<web_sys::HtmlElement>()
                .map(|el| TerminalSession::start(&el, url, 1, Callback::noop(), Callback::noop()));
            move || drop(session)
        });
    }
    html! { <div class="terminal read-only-terminal" ref={node}></div> }
}
