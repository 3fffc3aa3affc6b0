// The Postcards page: reads config.json (written by Terraform), then drives both back ends.
import { ApiError, isTransient, loadConfig, postcardsApi, stampsApi, uploadToS3, withRetries } from "./api.js";
import { $, element } from "./dom.js";
import { lambdaLab } from "./lab.js";

function describe(error) {
  return error instanceof ApiError ? error.message : "something went wrong";
}

// --- service status: the pills and the circuit breakers ------------------------------------------

// A service's pill (up with its version, or down and why) and, while its API's circuit breaker is
// open, a notice that says when the page asks again. Then the page sends the breaker's trial call
// (the health check); when the breaker closes, ``onRecovered`` reloads what had failed.
function serviceStatus({ pill, notice, label }, api, onRecovered) {
  const item = $(pill);
  const line = $(notice);
  const what = line.querySelector(".what");
  const countdown = line.querySelector(".countdown");
  const breaker = api.breaker;
  let ticker = null;
  let trial = null;
  let checking = false;

  function show(state, detail) {
    item.dataset.state = state;
    item.querySelector(".detail").textContent = detail;
  }

  async function check() {
    checking = true;
    try {
      show("up", `v${(await api.health()).version}`);
    } catch (error) {
      show("down", describe(error));
    } finally {
      checking = false;
    }
  }

  breaker.addEventListener("change", () => {
    item.dataset.breaker = breaker.state;
    clearInterval(ticker);
    clearTimeout(trial);
    if (breaker.state === "open") {
      show("down", breaker.reason);
      what.textContent = `${label} service unavailable — retrying in `;
      const tick = () => {
        countdown.textContent = `${breaker.secondsLeft()} s`;
      };
      tick();
      ticker = setInterval(tick, 1000);
      trial = setTimeout(check, Math.max(0, breaker.retryAt - Date.now()));
      line.hidden = false;
    } else if (breaker.state === "half-open") {
      what.textContent = `${label} service unavailable — retrying now`;
      countdown.textContent = "";
    } else {
      line.hidden = true;
      if (!checking && item.dataset.state !== "up") check();
      onRecovered();
    }
  });
  return { check };
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
  let failed = false;
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
      failed = false;
    } catch (error) {
      status.textContent = `Postcards are unavailable: ${describe(error)}.`;
      more.hidden = true;
      failed = true;
    }
  }
  more.addEventListener("click", () => load());
  return { load, reloadIfFailed: () => failed && load({ reset: true }) };
}

// --- stamps (container API) ------------------------------------------------------------------------

function stampChoices(api) {
  const box = $("#stamps");
  let failed = false;

  async function load() {
    const note = $("#stamps-note");
    note.textContent = "Loading stamps…";
    try {
      const { items } = await api.list();
      note.remove();
      failed = false;
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
      failed = true;
      note.textContent = `Stamps are unavailable (${describe(error)}); cards go out unstamped.`;
    }
  }
  return { load, reloadIfFailed: () => failed && load() };
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
// again, with the reads' backoff and jitter (a Retry-After as the floor): after a failure that may
// pass (a lost response, 429, 5xx), and when the API says to retry (409: the same key's first
// request is still running, or the photo's upload was being updated by the thumbnails function at
// that very moment).
const RETRY_LATER = new Set(["request_in_progress", "upload_claim_contended"]);
const worthRetrying = (error) => isTransient(error) || (error instanceof ApiError && RETRY_LATER.has(error.code));

function send(api, card, key) {
  return withRetries(() => api.create(card, key), { retryable: worthRetrying });
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

// --- start -----------------------------------------------------------------------------------------

// Everything is wired at once, before config.json is in: what a quick user types or sends waits for
// it, and if it fails each part of the page says so on its own.
function main() {
  const config = loadConfig();
  const postcards = postcardsApi(config.then((c) => c.apiUrl));
  const stamps = stampsApi(config.then((c) => c.containerApiUrl));

  const cards = feed(postcards);
  const choices = stampChoices(stamps);
  const postcardsStatus = serviceStatus(
    { pill: "#status-lambda", notice: "#notice-lambda", label: "Postcards" },
    postcards,
    () => cards.reloadIfFailed(),
  );
  const stampsStatus = serviceStatus(
    { pill: "#status-container", notice: "#notice-container", label: "Stamps" },
    stamps,
    () => choices.reloadIfFailed(),
  );
  postcardsStatus.check();
  stampsStatus.check();
  compose(postcards, () => cards.load({ reset: true }));
  lambdaLab(postcards, config.then((c) => c.apiFunction));
  cards.load({ reset: true });
  choices.load();
}

main();
