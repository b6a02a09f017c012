"""Tables and plots of ``tools/analysis/compare.py``'s results: rows of
(config, seed, condition, metric, value), top-1 in % as mean +- sample std
over seeds, the noise curves and missing-modality bars."""
import csv
import importlib.util
import math
import os.path as osp
import statistics
from typing import Dict, List, Optional, Sequence, Tuple

TOP1 = 'acc/top1'
NA = 'n/a'


def write_csv(path: str, rows: List[dict]) -> None:
    """``rows`` (config, seed, condition, metric, value) as a CSV file."""
    with open(path, 'w', newline='') as f:
        writer = csv.DictWriter(
            f, fieldnames=['config', 'seed', 'condition', 'metric', 'value'])
        writer.writeheader()
        writer.writerows(rows)


def top1_percent(rows: List[dict]) -> Dict[Tuple[str, str], List[float]]:
    """``{(config, condition): [top-1 in % per seed]}``."""
    values: Dict[Tuple[str, str], List[float]] = {}
    for r in rows:
        if r['metric'] == TOP1:
            values.setdefault((r['config'], r['condition']),
                              []).append(100 * r['value'])
    return values


def mean_std(values: List[float]) -> Tuple[float, float]:
    """Mean and sample standard deviation (NaN for a single value)."""
    return statistics.mean(values), statistics.stdev(values) if len(
        values) > 1 else math.nan


def format_cell(values: Optional[List[float]]) -> str:
    if not values:
        return NA
    mean, std = mean_std(values)
    return f'{mean:.1f}' if math.isnan(std) else f'{mean:.1f} ± {std:.1f}'


def markdown_table(rows: List[dict], stems: Sequence[str],
                   conditions: Sequence, seeds: Sequence[int]) -> str:
    """Mean +- std top-1 per config (rows) and condition (columns, each with
    a ``name``), with a legend."""
    values = top1_percent(rows)
    names = [c.name for c in conditions]
    lines = [
        '| config | ' + ' | '.join(names) + ' |',
        '|---|' + '---:|' * len(names)
    ]
    lines += [
        '| ' + stem + ' | ' +
        ' | '.join(format_cell(values.get((stem, n))) for n in names) + ' |'
        for stem in stems
    ]
    lines += [
        '', 'Test top-1 accuracy (%), mean ± sample std over seeds '
        f'{list(seeds)}. noise-<m>-<std>: Gaussian '
        'noise on modality m, std in units of the normalised inputs; '
        'missing-<m>: m removed at test time. '
        'A condition on a modality a model does not use equals its clean '
        'result; n/a: no input left.'
    ]
    return '\n'.join(lines)


def _top1_stats(values: Dict[Tuple[str, str], List[float]], stem: str,
                condition: str) -> Tuple[float, float]:
    """Mean top-1 (NaN if not measured) and its error bar (0 for a single
    seed)."""
    if (stem, condition) not in values:
        return math.nan, 0.0
    mean, std = mean_std(values[stem, condition])
    return mean, 0.0 if math.isnan(std) else std


def plot_noise(values, stems: Sequence[str], modality: str,
               noise_levels: Sequence[float], path: str) -> None:
    """Top-1 vs the noise std on ``modality`` (0 = clean), one line per config,
    error bars over seeds."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(5, 3.5))
    ax = fig.add_subplot()
    for stem in stems:
        conditions = [
            'clean', *(f'noise-{modality}-{std:g}' for std in noise_levels)
        ]
        points = [_top1_stats(values, stem, c) for c in conditions]
        ax.errorbar([0.0, *noise_levels], [p[0] for p in points],
                    yerr=[p[1] for p in points],
                    marker='o',
                    capsize=3,
                    label=stem)
    ax.set(
        title=f'Gaussian noise on {modality}',
        xlabel='noise std (normalised input units)',
        ylabel='test top-1 (%)')
    ax.legend(
        fontsize='x-small', loc='upper center', bbox_to_anchor=(0.5, -0.18))
    fig.savefig(path, dpi=100, bbox_inches='tight')


def plot_missing(values, stems: Sequence[str], modalities: Sequence[str],
                 path: str) -> None:
    """Grouped bars: clean and each modality missing, one bar per config, error
    bars over seeds."""
    from matplotlib.figure import Figure

    groups = ['clean', *(f'missing-{m}' for m in modalities)]
    fig = Figure(figsize=(1.5 + 0.6 * len(groups) * max(len(stems), 2), 3.5))
    ax = fig.add_subplot()
    width = 0.8 / len(stems)
    for i, stem in enumerate(stems):
        points = [_top1_stats(values, stem, g) for g in groups]
        xs = [j + i * width for j in range(len(groups))]
        ax.bar(
            xs, [p[0] for p in points],
            width,
            yerr=[p[1] for p in points],
            capsize=3,
            label=stem)
        for x, (mean, _) in zip(xs, points):
            if math.isnan(mean):
                ax.text(x, 0, NA, ha='center', va='bottom', fontsize='x-small')
    ax.set_xticks([j + 0.4 - width / 2 for j in range(len(groups))], groups)
    ax.set_xlim(-width / 2 - 0.2,
                len(groups) -
                width / 2)  # keeps unmeasured (n/a) slots in view
    ax.set(title='Missing modality at test time', ylabel='test top-1 (%)')
    ax.legend(
        fontsize='x-small', loc='upper center', bbox_to_anchor=(0.5, -0.12))
    fig.savefig(path, dpi=100, bbox_inches='tight')


def plot(rows: List[dict], stems: Sequence[str], modalities: Sequence[str],
         noise_levels: Sequence[float], out_dir: str) -> List[str]:
    """``noise_<m>.png`` per modality and ``missing.png`` in ``out_dir``;
    returns their paths ([] without
    matplotlib)."""
    if importlib.util.find_spec('matplotlib') is None:
        print('[compare] matplotlib is not installed: no plots')
        return []
    values = top1_percent(rows)
    files = []
    for m in modalities:
        files.append(osp.join(out_dir, f'noise_{m}.png'))
        plot_noise(values, stems, m, noise_levels, files[-1])
    files.append(osp.join(out_dir, 'missing.png'))
    plot_missing(values, stems, modalities, files[-1])
    return files
