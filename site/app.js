// The Postcards page: reads config.json (written by Terraform), then drives both back ends.
import { ApiError, loadConfig, postcardsApi, stampsApi, uploadToS3 } from "./api.js";

const $ = (selector) => document.querySelector(selector);

function element(tag, props = {}, children = []) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (key === "dataset") Object.assign(node.dataset, value);
    else if (key in node) node[key] = value;
    else node.setAttribute(key, value);
  }
  for (const child of [].concat(children)) {
    if (child !== null && child !== undefined) node.append(child);
  }
  return node;
}

function setService(id, state, detail) {
  const item = $(id);
  item.dataset.state = state;
  item.querySelector(".detail").textContent = detail;
}

function describe(error) {
  return error instanceof ApiError ? error.message : "something went wrong";
}

// --- feed ------------------------------------------------------------------------------------------

function renderCard(card) {
  const photo = card.photo;
  let figure = null;
  if (photo?.status === "ready" && photo.thumbnail_url) {
    figure = element("img", { src: photo.thumbnail_url, alt: `Photo from ${card.author}`, loading: "lazy" });
  } else if (photo) {
    const text = photo.status === "pending" ? "Photo is being processed…" : "Photo could not be used";
    figure = element("p", { className: `photo-note ${photo.status}`, textContent: text });
  }
  const when = new Date(card.created_at);
  return element("li", { className: "card", dataset: { id: card.id } }, [
    figure,
    element("blockquote", { textContent: card.message }),
    element("p", { className: "byline" }, [
      element("span", { textContent: `— ${card.author}` }),
      element("time", { dateTime: card.created_at, textContent: when.toLocaleString() }),
    ]),
  ]);
}

function feed(api) {
  let cursor = null;
  const list = $("#postcards");
  const status = $("#feed-status");
  const more = $("#load-more");

  async function load({ reset = false } = {}) {
    if (reset) cursor = null;
    status.textContent = "Loading…";
    try {
      const page = await api.list(cursor);
      if (reset) list.replaceChildren();
      list.append(...page.items.map(renderCard));
      cursor = page.next_cursor;
      more.hidden = !cursor;
      status.textContent = list.children.length ? "" : "No postcards yet: write the first one.";
    } catch (error) {
      status.textContent = `Postcards are unavailable: ${describe(error)}.`;
      more.hidden = true;
    }
  }
  more.addEventListener("click", () => load());
  return { load };
}

// --- stamps (container API) ------------------------------------------------------------------------

async function loadStamps(api) {
  const box = $("#stamps");
  const note = $("#stamps-note");
  try {
    const { items } = await api.list();
    note.remove();
    items.forEach((stamp, index) => {
      const input = element("input", { type: "radio", name: "stamp", value: stamp.id, checked: index === 0 });
      const label = element("label", { className: "stamp", title: stamp.name ?? stamp.id }, [
        input,
        element("span", { textContent: stamp.name ?? stamp.id }),
      ]);
      box.append(label);
    });
  } catch (error) {
    note.textContent = `Stamps are unavailable (${describe(error)}); cards go out unstamped.`;
  }
}

// --- compose ---------------------------------------------------------------------------------------

function compose(api, onSent) {
  const form = $("#compose");
  const status = $("#compose-status");
  const counter = $("#message-count");
  form.message.addEventListener("input", () => {
    counter.textContent = String([...form.message.value].length);
  });

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const author = form.author.value.trim();
    const message = form.message.value.trim();
    if (!author || !message) {
      status.textContent = "Please fill in who it is from and a message.";
      return;
    }
    const button = form.querySelector("button[type=submit]");
    button.disabled = true;
    const key = crypto.randomUUID();
    try {
      const card = { author, message };
      const file = form.photo.files[0];
      if (file) {
        status.textContent = "Uploading photo…";
        const upload = await api.createUpload(file);
        await uploadToS3(upload.presigned_post, file);
        card.upload_id = upload.id;
      }
      status.textContent = "Sending…";
      try {
        await api.create(card, key);
      } catch (error) {
        // A lost response is retried once with the same key: at most one card is stored.
        if (!(error instanceof ApiError) || error.status !== 0) throw error;
        await api.create(card, key);
      }
      form.reset();
      counter.textContent = "0";
      status.textContent = "Sent!";
      onSent();
    } catch (error) {
      status.textContent = `Not sent: ${describe(error)}.`;
    } finally {
      button.disabled = false;
    }
  });
}

// --- instances -------------------------------------------------------------------------------------

function instances(api) {
  const seen = new Map();
  const body = $("#instances tbody");
  const status = $("#instances-status");

  function render() {
    body.replaceChildren(
      ...[...seen.values()].map((env) =>
        element("tr", {}, [
          element("td", {}, element("code", { textContent: env.id.slice(0, 12) })),
          element("td", { textContent: String(env.calls) }),
          element("td", { textContent: String(env.coldStarts) }),
          element("td", { textContent: env.initMs === null ? "–" : env.initMs.toFixed(0) }),
          element("td", {}, element("code", { textContent: env.lastRequest ?? "" })),
        ]),
      ),
    );
  }

  $("#burst").addEventListener("click", async () => {
    const size = Math.min(20, Math.max(1, Number($("#burst-size").value) || 1));
    status.textContent = `Sending ${size} call(s) at once…`;
    const results = await Promise.allSettled(Array.from({ length: size }, () => api.instance()));
    let failed = 0;
    for (const result of results) {
      if (result.status === "rejected") {
        failed += 1;
        continue;
      }
      const facts = result.value;
      const env = seen.get(facts.environment_id) ?? {
        id: facts.environment_id, calls: 0, coldStarts: 0, initMs: null, lastRequest: null,
      };
      env.calls += 1;
      if (facts.cold_start) env.coldStarts += 1;
      env.initMs = facts.init_duration_ms ?? env.initMs;
      env.lastRequest = facts.request_id;
      seen.set(facts.environment_id, env);
    }
    render();
    const throttled = results.filter((r) => r.status === "rejected" && r.reason?.status === 429).length;
    status.textContent = failed
      ? `${failed} call(s) failed${throttled ? ` (${throttled} throttled: concurrency limit)` : ""}.`
      : `${seen.size} environment(s) seen so far.`;
  });
}

// --- start -----------------------------------------------------------------------------------------

async function main() {
  let config;
  try {
    config = await loadConfig();
  } catch (error) {
    setService("#status-lambda", "down", describe(error));
    setService("#status-container", "down", describe(error));
    return;
  }
  const postcards = postcardsApi(config.apiUrl);
  const stamps = stampsApi(config.containerApiUrl);

  postcards.health().then(
    (h) => setService("#status-lambda", "up", `v${h.version}`),
    (e) => setService("#status-lambda", "down", describe(e)),
  );
  stamps.health().then(
    (h) => setService("#status-container", "up", `v${h.version}`),
    (e) => setService("#status-container", "down", describe(e)),
  );

  const cards = feed(postcards);
  compose(postcards, () => cards.load({ reset: true }));
  instances(postcards);
  await Promise.all([cards.load({ reset: true }), loadStamps(stamps)]);
}

main();
