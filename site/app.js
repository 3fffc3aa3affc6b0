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

// --- stamps on cards -------------------------------------------------------------------------------

// The stamps the container API listed, by id. A card stores only its stamp's id (the Lambda API never
// asks the container API), so its name and colours are looked up here; until the stamps are in, or
// when the container API is down or no longer lists that stamp, the card shows the plain id.
const knownStamps = new Map();

function paintStamp(mark) {
  const id = mark.dataset.stamp;
  const stamp = knownStamps.get(id);
  mark.dataset.known = String(Boolean(stamp));
  mark.textContent = stamp?.name ?? id;
  mark.title = stamp
    ? `Stamp: ${[stamp.name, stamp.denomination, stamp.country, stamp.year].filter(Boolean).join(" · ")}`
    : `Stamp ${id}`;
  // CSSOM, not a style attribute: the site's Content-Security-Policy allows no inline styles.
  const [first, second] = Array.isArray(stamp?.colors) ? stamp.colors : [];
  mark.style.setProperty("--stamp-ink", first ?? "");
  mark.style.setProperty("--stamp-paper", second ?? "");
}

function stampMark(id) {
  const mark = element("span", { className: "card-stamp", dataset: { stamp: id } });
  paintStamp(mark);
  return mark;
}

function repaintStamps() {
  document.querySelectorAll("#postcards .card-stamp").forEach(paintStamp);
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
    card.stamp ? stampMark(card.stamp) : null,
    figure,
    element("blockquote", { textContent: card.message }),
    element("p", { className: "byline" }, [
      element("span", { textContent: `— ${card.author}` }),
      element("time", { dateTime: card.created_at, textContent: when.toLocaleString() }),
    ]),
  ]);
}

// The thumbnails function works after the photo is stored, so a new card's photo is "pending" at
// first. Its card asks again after growing pauses (about a minute in all) until the photo is settled;
// a card no longer on the page (the feed was reloaded) stops asking.
const PHOTO_RECHECK_DELAYS_MS = [500, 1000, 1500, 2000, 3000, 5000, 5000, 10000, 10000, 20000];

async function watchPhoto(api, cardId, node) {
  for (const delay of PHOTO_RECHECK_DELAYS_MS) {
    await new Promise((resolve) => setTimeout(resolve, delay));
    if (!node.isConnected) return;
    let card;
    try {
      card = await api.get(cardId);
    } catch {
      continue; // a passing failure: the next round asks again
    }
    if (!node.isConnected) return;
    if (card.photo?.status !== "pending") {
      node.replaceWith(renderCard(card));
      return;
    }
  }
  node.querySelector(".photo-note").textContent = "Photo is still being processed: reload the page later.";
}

function feed(api) {
  let cursor = null;
  const list = $("#postcards");
  const status = $("#feed-status");
  const more = $("#load-more");

  function show(card) {
    const node = renderCard(card);
    if (card.photo?.status === "pending") watchPhoto(api, card.id, node);
    return node;
  }

  async function load({ reset = false } = {}) {
    if (reset) cursor = null;
    status.textContent = "Loading…";
    try {
      const page = await api.list(cursor);
      if (reset) list.replaceChildren();
      list.append(...page.items.map(show));
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
    for (const stamp of items) knownStamps.set(stamp.id, stamp);
    repaintStamps(); // cards the feed showed before the stamps were in
    items.forEach((stamp, index) => {
      // The default (not just the current) choice, so the form's reset after a send picks it again.
      const input = element("input", { type: "radio", name: "stamp", value: stamp.id, defaultChecked: index === 0 });
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

// The service's limits for a photo (functions/common/uploads.py), checked before anything is sent so
// the user reads them in plain words rather than the API's generic validation error.
const PHOTO_TYPES = new Set(["image/jpeg", "image/png", "image/webp"]);
const MAX_PHOTO_BYTES = 5 * 1024 * 1024;

function photoProblem(file) {
  if (!PHOTO_TYPES.has(file.type) || file.size > MAX_PHOTO_BYTES) {
    return "the photo must be a JPEG, PNG or WebP image of at most 5 MiB";
  }
  return file.size === 0 ? "the photo file is empty" : null;
}

// Sent with one idempotency key, so however often it is tried at most one card is stored. Tried
// again: at once after a lost response (a network error), and after a short pause when the API says
// to retry (409: the same key's first request is still running, or the photo's upload was being
// updated by the thumbnails function at that very moment).
const SEND_ATTEMPTS = 3;
const RETRY_LATER = new Set(["request_in_progress", "upload_claim_contended"]);

async function send(api, card, key) {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await api.create(card, key);
    } catch (error) {
      const later = error instanceof ApiError && RETRY_LATER.has(error.code);
      const lost = error instanceof ApiError && error.status === 0;
      if (attempt === SEND_ATTEMPTS || !(later || lost)) throw error;
      if (later) await new Promise((resolve) => setTimeout(resolve, 1000));
    }
  }
}

// The API's reasons that a user should read in their own words.
function sendProblem(error) {
  if (error instanceof ApiError && error.code === "upload_failed") {
    return "the photo could not be used (it is not a readable JPEG, PNG or WebP image)";
  }
  return describe(error);
}

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
    const file = form.photo.files[0];
    const problem = file ? photoProblem(file) : null;
    if (problem) {
      status.textContent = `Not sent: ${problem}.`;
      return;
    }
    const button = form.querySelector("button[type=submit]");
    button.disabled = true;
    const key = crypto.randomUUID();
    try {
      const card = { author, message };
      // The checked radio's id; none when the stamps never loaded (the card goes out unstamped).
      const stamp = form.elements.namedItem("stamp")?.value;
      if (stamp) card.stamp = stamp;
      if (file) {
        status.textContent = "Uploading photo…";
        const upload = await api.createUpload(file);
        await uploadToS3(upload.presigned_post, file);
        card.upload_id = upload.id;
      }
      status.textContent = "Sending…";
      await send(api, card, key);
      form.reset();
      counter.textContent = "0";
      status.textContent = "Sent!";
      onSent();
    } catch (error) {
      status.textContent = `Not sent: ${sendProblem(error)}.`;
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

// Everything is wired at once, before config.json is in: what a quick user types or sends waits for
// it, and if it fails each part of the page says so on its own.
function main() {
  const config = loadConfig();
  const postcards = postcardsApi(config.then((c) => c.apiUrl));
  const stamps = stampsApi(config.then((c) => c.containerApiUrl));

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
  cards.load({ reset: true });
  loadStamps(stamps);
}

main();
