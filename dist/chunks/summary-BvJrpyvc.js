import { l as link, c as code, a as clip, f as flat, b as cell } from './markdown-BQzPEqmq.js';

// Trivy's severity scale, lowest first.
const SEVERITIES = ['UNKNOWN', 'LOW', 'MEDIUM', 'HIGH', 'CRITICAL'];
/** Whether a severity is at or over a threshold; `none` is no threshold at all. */
function atOrAbove(severity, threshold) {
    return threshold !== 'none' && SEVERITIES.indexOf(severity) >= SEVERITIES.indexOf(threshold);
}
/** Counts by severity, every severity present. */
function countBySeverity(items) {
    const counts = Object.fromEntries(SEVERITIES.map((severity) => [severity, 0]));
    for (const item of items)
        counts[item.severity]++;
    return counts;
}
/** `2 CRITICAL, 4 MEDIUM`, worst first, severities without any left out; '' when all are 0. */
function countsText(counts) {
    return [...SEVERITIES]
        .reverse()
        .filter((severity) => counts[severity] > 0)
        .map((severity) => `${counts[severity]} ${severity}`)
        .join(', ');
}
function parseSeverity(text) {
    const upper = text.trim().toUpperCase();
    return SEVERITIES.includes(upper) ? upper : undefined;
}

/** What makes two platforms' findings the same finding (layers differ between platforms). */
function identity(finding) {
    return JSON.stringify([
        finding.kind,
        finding.id,
        finding.target,
        finding.resultClass,
        finding.pkgName,
        finding.pkgPath,
        finding.pkgVersion,
        finding.lines?.start ?? 0,
        finding.lines?.end ?? 0
    ]);
}
/**
 * The findings of every platform, each once, in the order first seen; one that is not on every
 * platform names the platforms it is on. One platform's findings are returned as they are.
 */
function mergePlatformFindings(scans) {
    if (scans.length === 1)
        return scans[0]?.findings ?? [];
    const merged = new Map();
    for (const { platform, findings } of scans) {
        for (const finding of findings) {
            const key = identity(finding);
            const entry = merged.get(key) ?? { finding, platforms: new Set() };
            entry.platforms.add(platform);
            merged.set(key, entry);
        }
    }
    return [...merged.values()].map(({ finding, platforms }) => platforms.size === scans.length ? finding : { ...finding, platforms: [...platforms].sort() });
}
/**
 * One map from every platform's layers to the Dockerfile's lines (a layer's DiffID is its content's
 * hash, so the platforms' layers never collide); reliable only when each platform's map is.
 */
function mergeLayerMaps(maps) {
    const byDiffId = new Map(maps.flatMap(({ map }) => [...map.byDiffId]));
    const unreliable = maps.find(({ map }) => !map.reliable);
    if (!unreliable)
        return { reliable: true, byDiffId };
    const reason = maps.length > 1 ? `${unreliable.map.reason} (${unreliable.platform})` : unreliable.map.reason;
    return { reliable: false, reason, byDiffId: new Map() };
}
/** ` (linux/arm64 only)`, for a finding not on every platform; '' otherwise. */
function platformNote(finding) {
    return finding.platforms ? ` (${finding.platforms.join(', ')} only)` : '';
}

// The scan's part of the step summary: the worst findings in a table, every reported finding in a
// collapsed one, each with the Dockerfile line it came from. GitHub takes at most 1 MiB of
// summary per step; the section stays under SCAN_SECTION_BUDGET and says what it left out.
/** Bytes the scan section may take, leaving the rest of the 1 MiB to everything else. */
const SCAN_SECTION_BUDGET = 900 * 1024;
/** Rows of the open table; the full list is collapsed below it. */
const TOP_ROWS = 20;
/** The findings table's header, in the summary and the pull request comment alike. */
const FINDINGS_TABLE_HEADER = [
    '| Severity | ID | Package | Installed | Fixed | Dockerfile line |',
    '| --- | --- | --- | --- | --- | --- |'
];
function scanSection(rows, dockerfile, budget = SCAN_SECTION_BUDGET) {
    if (rows.length === 0)
        return '### Scan findings\n\nNothing to report.\n';
    const top = rows.slice(0, TOP_ROWS).map((row) => findingRow(row, dockerfile));
    const parts = ['### Scan findings', '', ...FINDINGS_TABLE_HEADER, ...top, ''];
    if (rows.length > TOP_ROWS) {
        parts.push(`<details><summary>All ${rows.length} reported findings</summary>`, '', ...FINDINGS_TABLE_HEADER);
        let size = Buffer.byteLength(parts.join('\n'));
        let shown = 0;
        for (const row of rows) {
            const line = findingRow(row, dockerfile);
            // Room is kept for the closing lines and the note of what was cut.
            if (size + Buffer.byteLength(line) + 512 > budget)
                break;
            parts.push(line);
            size += Buffer.byteLength(line) + 1;
            shown++;
        }
        parts.push('', '</details>', '');
        if (shown < rows.length) {
            parts.push(`${rows.length - shown} more findings did not fit in the step summary (GitHub takes 1 MiB per step): the report file has them all.`, '');
        }
    }
    return parts.join('\n');
}
/**
 * One row of the findings table, in the summary and the pull request comment alike. Every value
 * is the report's (an image's package and file names, a vulnerability DB's IDs and URLs): each is
 * clipped and put in a code span on one line, and only an http(s) URL becomes a link.
 */
function findingRow({ finding, line }, dockerfile) {
    const literal = (value) => (value ? code(clip(flat(value))) : '');
    const id = link(code(clip(flat(finding.id))), finding.url);
    return `| ${finding.severity} | ${cell(id)} | ${cell(literal(finding.pkgName || finding.target) + platformNote(finding))} | ${cell(literal(finding.pkgVersion))} | ${cell(literal(finding.fixedVersion))} | ${cell(literal(`${dockerfile}:${line}`))} |`;
}

export { FINDINGS_TABLE_HEADER as F, SEVERITIES as S, atOrAbove as a, countBySeverity as b, countsText as c, parseSeverity as d, mergeLayerMaps as e, findingRow as f, mergePlatformFindings as m, platformNote as p, scanSection as s };
