#!/usr/bin/python3
"""Draw zx-bench's results.json as one PNG chart.

    chart.py <results.json> <out.png>

Panel (a): every figure with a ratio (value / baseline of the same run), its
target marked. Panel (b): latency figures (unit ms or s, lower is better) in
ms, their target marked. Bars are green when the figure passed, red when it
failed and grey when nothing was judged. The format of results.json is in
bench/README.md, "Output". Exit status: 0 drawn, 1 the PNG could not be
written, 2 bad usage or unreadable input.
"""

import json
import math
import sys

COLOURS = {True: "#2e7d32", False: "#c62828", None: "#9e9e9e"}
TARGET_COLOUR = "#000000"
MS_PER_UNIT = {"ms": 1.0, "s": 1000.0}
WIDE_RANGE = 50.0  # max / min above which an axis is logarithmic


class InputError(Exception):
    """results.json is missing, not JSON or not shaped as zx-bench writes it."""


def load(path):
    try:
        with open(path, encoding="utf-8") as f:
            results = json.load(f)
    except (OSError, UnicodeDecodeError, ValueError) as e:
        raise InputError(str(e)) from e
    if not isinstance(results, dict) or not isinstance(results.get("figures"), list):
        raise InputError("not a zx-bench results object (no 'figures' list)")
    for i, fig in enumerate(results["figures"]):
        if not isinstance(fig, dict) or not isinstance(fig.get("id"), str):
            raise InputError(f"figures[{i}] is not an object with a string 'id'")
    if not isinstance(results.get("machine", {}), dict):
        raise InputError("'machine' is not an object")
    if not isinstance(results.get("errors", []), list):
        raise InputError("'errors' is not a list")
    return results


def is_number(x):
    return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)


def ratio_figures(figures):
    """Figures with a ratio, sorted by id: panel (a)."""
    return sorted((f for f in figures if is_number(f.get("ratio")) and is_number(f.get("value"))),
                  key=lambda f: f["id"])


def latency_figures(figures):
    """Figures in ms or s where lower is better, sorted by id: panel (b)."""
    return sorted((f for f in figures
                   if f.get("unit") in MS_PER_UNIT and f.get("better") == "lower"
                   and is_number(f.get("value"))),
                  key=lambda f: f["id"])


def value_ms(fig):
    return fig["value"] * MS_PER_UNIT[fig["unit"]]


def target_ms(fig):
    """A latency figure's target in ms, or None. A ratio target (baseline_id
    set) becomes target × baseline = target × value / ratio; without a ratio
    (baseline missing from the run) there is nothing to mark."""
    target = fig.get("target")
    if not is_number(target):
        return None
    if fig.get("baseline_id") is None:
        return target * MS_PER_UNIT[fig["unit"]]
    ratio = fig.get("ratio")
    if not is_number(ratio) or ratio == 0:
        return None
    return target * value_ms(fig) / ratio


def wide_range(values):
    """True when the positive values span more than WIDE_RANGE (log axis)."""
    values = [v for v in values if v is not None]
    if not values or min(values) <= 0:
        return False
    return max(values) / min(values) > WIDE_RANGE


def comparison(fig):
    return "≥" if fig.get("better") == "higher" else "≤"


def title(results):
    m = results.get("machine", {})
    scale = results.get("scale", "?")
    return (f"zx-bench {m.get('timestamp', '?')}, scale {scale}\n"
            f"{m.get('cpu_model', '?')}, {m.get('nproc', '?')} cores, "
            f"{m.get('memory_gib', '?')} GiB")


def fmt(x):
    return f"{x:,.0f}" if abs(x) >= 100 else f"{x:.3g}"


def draw_panel(ax, figs, values, targets, labels, xlabel, empty_note):
    ax.set_title(xlabel, loc="left", fontsize=10)
    if not figs:
        ax.text(0.5, 0.5, empty_note, transform=ax.transAxes, ha="center", va="center",
                fontsize=10, color="#555555")
        ax.set_xticks([])
        ax.set_yticks([])
        return
    ys = list(range(len(figs)))[::-1]  # first figure on top
    ax.barh(ys, values, color=[COLOURS.get(f.get("pass")) for f in figs], height=0.6)
    for y, t in zip(ys, targets):
        if t is not None:
            ax.plot([t], [y], marker="|", markersize=16, markeredgewidth=2.5,
                    color=TARGET_COLOUR)
    ax.set_yticks(ys)
    ax.set_yticklabels([f["id"] for f in figs], fontsize=8)
    ax.set_ylim(-0.7, len(figs) - 0.3)
    if wide_range(values + targets):
        ax.set_xscale("log")
    ax.margins(x=0.25)
    for y, v, t, text in zip(ys, values, targets, labels):  # right of bar and marker
        ax.annotate(text, (max(v, t if t is not None else v), y), xytext=(6, 0),
                    textcoords="offset points", va="center", fontsize=7)
    ax.grid(axis="x", color="#dddddd", linewidth=0.6)
    ax.set_axisbelow(True)


def render(results, out_png):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    figures = results["figures"]
    ratios, latencies = ratio_figures(figures), latency_figures(figures)
    rows_a, rows_b = max(len(ratios), 2), max(len(latencies), 2)
    height = 2.2 + 0.28 * (rows_a + rows_b)
    fig, (ax_a, ax_b) = plt.subplots(2, 1, figsize=(11, height),
                                     gridspec_kw={"height_ratios": [rows_a, rows_b]})

    draw_panel(ax_a, ratios, [f["ratio"] for f in ratios],
               [f["target"] if is_number(f.get("target")) else None for f in ratios],
               [f"{f['ratio']:.3f}" + (f" ({comparison(f)} {f['target']:g})"
                                       if is_number(f.get("target")) else "")
                for f in ratios],
               "(a) ratio to the baseline measured in the same run",
               "no figure with a ratio in this run")
    draw_panel(ax_b, latencies, [value_ms(f) for f in latencies],
               [target_ms(f) for f in latencies],
               [f"{fmt(f['value'])} {f['unit']}" + (
                   f" (≤ {fmt(target_ms(f) / MS_PER_UNIT[f['unit']])} {f['unit']})"
                   if target_ms(f) is not None else "")
                for f in latencies],
               "(b) latency, ms (lower is better)",
               "no latency figure in this run")

    fig.suptitle(title(results), fontsize=11, x=0.02, ha="left")
    legend = [Patch(color=COLOURS[True], label="pass"), Patch(color=COLOURS[False], label="FAIL"),
              Patch(color=COLOURS[None], label="not judged"),
              Line2D([], [], color=TARGET_COLOUR, marker="|", linestyle="none",
                     markersize=12, markeredgewidth=2.5, label="target")]
    fig.legend(handles=legend, loc="upper right", ncol=4, fontsize=8, frameon=False)
    errors = [e for e in results.get("errors") or [] if isinstance(e, dict)][:4]
    if errors:
        fig.text(0.02, 0.005, "\n".join(f"error in {e.get('suite', '?')}: "
                                        f"{str(e.get('message', ''))[:110]}" for e in errors),
                 fontsize=7, color=COLOURS[False], va="bottom")
    top_in, bottom_in, gap_in = 0.8, 0.35 + 0.12 * len(errors), 0.7  # inches
    axes_in = (height - top_in - bottom_in - gap_in) / 2  # mean panel height
    fig.subplots_adjust(left=0.33, right=0.97, top=1 - top_in / height,
                        bottom=bottom_in / height, hspace=gap_in / axes_in)
    fig.savefig(out_png, dpi=100)
    plt.close(fig)


def main(argv):
    if len(argv) != 3:
        print(f"usage: {argv[0]} <results.json> <out.png>", file=sys.stderr)
        return 2
    try:
        results = load(argv[1])
    except InputError as e:
        print(f"chart.py: cannot read results {argv[1]}: {e}", file=sys.stderr)
        return 2
    try:
        render(results, argv[2])
    except OSError as e:
        print(f"chart.py: cannot write {argv[2]}: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
