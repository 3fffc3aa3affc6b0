// The Lambda lab: calls to /v1/instance sent at once, the execution environments that served them,
// and the calls Lambda refused. Every figure is what the API answered; the limits are the ones
// Terraform deployed (config.json).
import { ApiError } from "./api.js";
import { $, element } from "./dom.js";

const MAX_CALLS = 20;
const MAX_HOLD_MS = 1000; // the API's own bound for hold_ms (openapi.yaml)

function bounded(input, low, high) {
  const value = Math.round(Number(input.value));
  const kept = Number.isFinite(value) ? Math.min(high, Math.max(low, value)) : low;
  input.value = String(kept);
  return kept;
}

const plural = (n, one, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

// What config.json says about the API function, in words; null when it does not say.
function limitsInWords(fn) {
  if (!fn) return null;
  const reserved = fn.reserved_concurrency;
  const provisioned = fn.provisioned_concurrency ?? 0;
  return [
    [
      "Reserved concurrency",
      reserved === null || reserved === undefined
        ? "none: the function shares the account's unreserved concurrency with every other function."
        : `${reserved}: at most ${plural(reserved, "call")} of ${fn.name} run at once; Lambda refuses (throttles) the rest.`,
    ],
    [
      `Provisioned concurrency (alias ${fn.alias})`,
      provisioned > 0
        ? `${provisioned}: ${plural(provisioned, "environment is", "environments are")} initialised ahead of traffic, so ${provisioned === 1 ? "its" : "their"} calls never wait for a cold start.`
        : "none: every environment starts cold, on the call that needs it.",
    ],
  ];
}

// Why some calls of a burst got no answer, in plain words. A call Lambda throttled reaches the page
// as API Gateway's 500 (the gateway never passes Lambda's 429 on); the page takes 500s for throttles
// when the served calls fit the reserved concurrency, as they do when it was reached.
function explainRefusals(refused, servedCount, fn) {
  const statusOf = (error) => (error instanceof ApiError ? error.status : 0);
  const reserved = fn?.reserved_concurrency ?? null;
  const fits = reserved !== null && servedCount > 0 && servedCount <= reserved;
  const byLambda = fits ? refused.filter((error) => statusOf(error) === 500) : [];
  const byGateway = refused.filter((error) => statusOf(error) === 429);
  const others = refused.filter((error) => !byLambda.includes(error) && !byGateway.includes(error));
  const parts = [];
  if (byLambda.length) {
    parts.push(
      `Throttled: the function may run at most ${plural(reserved, "call")} at once (its reserved concurrency), ` +
        `so Lambda refused the ${plural(byLambda.length, "call")} beyond that (429 TooManyRequestsException), ` +
        `which API Gateway answers with HTTP 500 "Internal server error". A call sent once one of the ` +
        `${reserved} is free again is served.`,
    );
  }
  if (byGateway.length) {
    parts.push(
      `API Gateway's throttle refused ${plural(byGateway.length, "call")} (HTTP 429): the stage admits only so ` +
        "many requests per second.",
    );
  }
  if (others.length) {
    const reasons = [...new Set(others.map((error) => error.message || "no answer"))].join("; ");
    parts.push(`${plural(others.length, "call")} failed: ${reasons}.`);
  }
  return parts.join(" ");
}

export function lambdaLab(api, apiFunction) {
  const seen = new Map(); // environment id -> what the page learnt about it, in order of first sight
  const body = $("#instances tbody");
  const caption = $("#instances caption");
  const status = $("#instances-status");
  const explanation = $("#instances-explanation");
  const buttons = [$("#burst"), $("#cold-start")];
  const limits = $("#lab-limits");
  let fn = null;

  apiFunction.then(
    (described) => {
      fn = described;
      const words = limitsInWords(described);
      limits.replaceChildren(
        ...(words ?? [["Limits", "config.json does not say how the function's concurrency is set."]]).map(
          ([term, text]) => element("div", {}, [element("dt", { textContent: term }), element("dd", { textContent: text })]),
        ),
      );
    },
    () => limits.replaceChildren(),
  );

  function record(facts) {
    const env = seen.get(facts.environment_id) ?? {
      id: facts.environment_id,
      provisioned: facts.initialization_type === "provisioned-concurrency",
      calls: 0,
      coldStarts: 0,
      initMs: null,
      lastRequest: null,
    };
    env.calls += 1;
    if (facts.cold_start) env.coldStarts += 1;
    env.initMs = facts.init_duration_ms ?? env.initMs;
    env.lastRequest = facts.request_id;
    seen.set(facts.environment_id, env);
  }

  function render() {
    caption.textContent = `Environments seen so far: ${seen.size}`;
    body.replaceChildren(
      ...[...seen.values()].map((env) =>
        element("tr", { dataset: { environment: env.id, initialised: env.provisioned ? "provisioned" : "on-demand" } }, [
          element("td", { dataset: { label: "Environment" } }, element("code", { textContent: env.id.slice(0, 12) })),
          element("td", { dataset: { label: "Initialised" }, textContent: env.provisioned ? "ahead (provisioned)" : "on demand" }),
          element("td", { dataset: { label: "Calls" }, textContent: String(env.calls) }),
          element("td", { dataset: { label: "Cold starts" }, textContent: String(env.coldStarts) }),
          element("td", { dataset: { label: "Init (ms)" }, textContent: env.initMs === null ? "–" : env.initMs.toFixed(0) }),
          element("td", { dataset: { label: "Last request" } }, element("code", { textContent: env.lastRequest ?? "" })),
        ]),
      ),
    );
  }

  async function burst(size, holdMs) {
    buttons.forEach((button) => { button.disabled = true; });
    status.textContent = `Sending ${plural(size, "call")} at once, each held ${holdMs} ms…`;
    explanation.textContent = "";
    const results = await Promise.allSettled(Array.from({ length: size }, () => api.instance(holdMs)));
    const served = results.filter((r) => r.status === "fulfilled").map((r) => r.value);
    const refused = results.filter((r) => r.status === "rejected").map((r) => r.reason);
    served.forEach(record);
    render();
    const environments = new Set(served.map((facts) => facts.environment_id)).size;
    const cold = served.filter((facts) => facts.cold_start).length;
    const ahead = served.filter((facts) => facts.initialization_type === "provisioned-concurrency").length;
    status.textContent =
      `${plural(size, "call")} at once: ${served.length} served by ${plural(environments, "environment")}, ` +
      `${plural(cold, "cold start")}` +
      (ahead ? `, ${ahead} on ${ahead === 1 ? "an environment" : "environments"} initialised ahead` : "") +
      (refused.length ? `; ${refused.length} refused.` : ".");
    explanation.textContent = explainRefusals(refused, served.length, fn);
    buttons.forEach((button) => { button.disabled = false; });
    return served;
  }

  const size = () => bounded($("#burst-size"), 1, MAX_CALLS);
  const hold = () => bounded($("#burst-hold"), 0, MAX_HOLD_MS);

  $("#burst").addEventListener("click", () => burst(size(), hold()));

  // A cold start the honest way: one call more than the environments this page has seen, at once,
  // so that one of them finds no idle environment and Lambda starts a new one. When the reserved
  // concurrency allows no more environments, only Lambda can make room: it ends an environment idle
  // for a while (minutes; it does not say when), and a new version (changed code or configuration)
  // starts with none.
  $("#cold-start").addEventListener("click", async () => {
    const reserved = fn?.reserved_concurrency ?? null;
    if (reserved !== null && seen.size >= reserved) {
      status.textContent = `No call sent: this page has seen all ${plural(reserved, "environment")} the reserved concurrency allows.`;
      explanation.textContent =
        "A new one starts cold only once Lambda has ended one of them (after some minutes without calls) or " +
        "when a new version of the function is deployed (changed code or configuration): a call then finds " +
        "no warm environment.";
      return;
    }
    const served = await burst(Math.min(MAX_CALLS, seen.size + 1), Math.max(hold(), 500));
    if (served.length && !served.some((facts) => facts.cold_start)) {
      explanation.textContent +=
        " No cold start this time: warm environments this page had not seen served the calls (the page's own " +
        "calls and other visitors keep environments warm too). Try again: each try asks for one more.";
    }
  });
}
