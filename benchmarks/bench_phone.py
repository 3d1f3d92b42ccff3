"""The web phone at scale, measured in headless Chromium: the first paint of the conversation
list, and opening a conversation, with 10,000 messages in 500 conversations, beside the same
page over a small emulator (20 messages in one conversation) in the same run.

    python benchmarks/bench_phone.py [--messages 10000] [--conversations 500] [--rounds 5]
                                     [--json out.json]

Needs Chromium (Debian's ``apt-get install chromium``) and Playwright for Python
(``pip install playwright``; the browser is never downloaded).

Each round, for the small emulator and then the large one (interleaved, so that machine noise
hits both alike), a fresh page:

- ``first paint``: from the start of the navigation until the list of conversations has been
  painted (the page's ``phone:list-painted`` mark: the first frame after the list is in);
- ``open a conversation``: from the click on the most recent conversation until its messages
  are in and the next frame has been painted (timed inside the page with
  ``performance.now()``).

Reported: the median of each over the rounds, and of each round's ratio to the small
emulator's. The targets: first paint under 1000 ms, opening under 200 ms.
"""

from __future__ import annotations

import argparse
import json
import platform
import shutil
import statistics
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from ivowaba.testing import Emulator  # noqa: E402

TARGETS_MS = {"first paint": 1000.0, "open a conversation": 200.0}

_OPEN_JS = """async () => {
    await new Promise(done => requestIdleCallback(done, {timeout: 1000}));  // a user's pause
    const row = document.querySelector("#chat-list > li button");
    const started = performance.now();
    const shown = new Promise(done => {
        document.addEventListener("phone:rendered", done, {once: true});
    });
    row.click();
    await shown;
    await new Promise(done => requestAnimationFrame(() => setTimeout(done, 0)));
    const bubbles = document.querySelectorAll("#bubbles > li").length;
    return {ms: performance.now() - started, bubbles};
}"""

_PAINTED_JS = """async () => {
    const painted = () => performance.getEntriesByName("phone:list-painted")[0];
    while (!painted()) await new Promise(done => requestAnimationFrame(done));
    return {ms: painted().startTime, chats: document.querySelectorAll("#chat-list > li").length};
}"""


def fill(emu: Emulator, messages: int, conversations: int) -> None:
    """``messages`` accepted text sends across ``conversations`` customers."""
    for n in range(messages):
        body = {"wa_id": f"62812{n % conversations:07d}", "text": f"Message {n}: your order"}
        emu.accept_send("messages.send_text", "send-text-message", body, sandbox=False)


def measure(browser: Any, url: str) -> dict[str, float]:
    """One round on a fresh page: first paint and opening a conversation, in ms."""
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    try:
        page.goto(url)
        painted = page.evaluate(_PAINTED_JS)
        page.wait_for_selector("body[data-ready=true]")
        opened = page.evaluate(_OPEN_JS)
        assert painted["chats"] > 0, painted
        assert opened["bubbles"] > 0, opened
        return {"first paint": painted["ms"], "open a conversation": opened["ms"]}
    finally:
        page.close()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument("--conversations", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--json", dest="json_path")
    args = parser.parse_args()

    chromium = shutil.which("chromium")
    if chromium is None:
        sys.exit("bench_phone: Chromium is not installed (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        sys.exit("bench_phone: Playwright for Python is not installed (pip install playwright)")

    small_size = args.messages // args.conversations
    cases = {
        f"small ({small_size} messages, 1 conversation)": (small_size, 1),
        f"large ({args.messages:,} messages, {args.conversations} conversations)": (
            args.messages,
            args.conversations,
        ),
    }
    times: dict[str, dict[str, list[float]]] = {
        case: {metric: [] for metric in TARGETS_MS} for case in cases
    }
    with Emulator() as small, Emulator() as large, sync_playwright() as playwright:
        emulators = dict(zip(cases, (small, large), strict=True))
        for case, (messages, conversations) in cases.items():
            fill(emulators[case], messages, conversations)
        browser = playwright.chromium.launch(
            executable_path=chromium, args=["--no-sandbox"], headless=True
        )
        measure(browser, small.page_url)  # warm up: the browser's first page
        for round_ in range(args.rounds):
            for case, emu in emulators.items():
                for metric, ms in measure(browser, emu.page_url).items():
                    times[case][metric].append(ms)
            print(f"  round {round_ + 1} done", file=sys.stderr)
        version = browser.version
        browser.close()

    small_case, large_case = cases
    print(
        f"\nweb phone in headless Chromium ({version}), {args.rounds} interleaved "
        f"rounds, Python {platform.python_version()}, {platform.machine()}"
    )
    print(f"{'metric':<22}{'small ms':>10}{'large ms':>10}{'x small':>9}{'target ms':>11}")
    results = []
    for metric, target in TARGETS_MS.items():
        small_ms = statistics.median(times[small_case][metric])
        large_ms = statistics.median(times[large_case][metric])
        ratio = statistics.median(
            big / little
            for big, little in zip(
                times[large_case][metric], times[small_case][metric], strict=True
            )
        )
        print(f"{metric:<22}{small_ms:>10.1f}{large_ms:>10.1f}{ratio:>9.2f}{target:>11.0f}")
        results.append(
            {
                "metric": metric,
                "small_ms": small_ms,
                "large_ms": large_ms,
                "ratio_to_small": ratio,
                "target_ms": target,
                "samples": {case: times[case][metric] for case in cases},
            }
        )
    if args.json_path:
        summary = {
            "messages": args.messages,
            "conversations": args.conversations,
            "rounds": args.rounds,
            "results": results,
        }
        Path(args.json_path).write_text(json.dumps(summary, indent=2))


if __name__ == "__main__":
    main()
