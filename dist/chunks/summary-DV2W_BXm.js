// Markdown for the step summary and the pull request comment, one set of helpers for both. Text
// that comes from a report, an image, a registry or a program (a package named
// `<img src=x onerror=...>`, a file named `[click](https://evil)`, a `javascript:` advisory URL)
// goes through these, so that it shows as the text it is: never a tag, a link, a closed
// `<details>`, a new line or a table cell of its own.
/** A table cell's text is cut to this many characters. */
const CELL_LIMIT = 200;
/** Longer links are left out (their label is still shown). */
const URL_LIMIT = 500;
/** One line: every run of whitespace (line breaks included) as one space. */
function flat(value) {
    return value.replace(/\s+/g, ' ').trim();
}
/** At most `limit` characters, an ellipsis saying it was cut. */
function clip(value, limit = CELL_LIMIT) {
    return value.length <= limit ? value : `${value.slice(0, limit - 1)}…`;
}
/**
 * One line of plain text: no HTML (so no tag, comment or marker can be written through it) and
 * no brackets that could make a link or an image.
 */
function text(value) {
    return flat(value)
        .replace(/&/g, '&amp;')
        .replace(/</g, '&lt;')
        .replace(/>/g, '&gt;')
        .replace(/[[\]]/g, (bracket) => `\\${bracket}`);
}
/** Inline code on one line that no backtick in the text can close early. */
function code(value) {
    return `\`${flat(value).replace(/`/g, "'")}\``;
}
/** A table cell stays one cell: pipes escaped, line breaks as <br>. */
function cell(value) {
    return value.replace(/\|/g, '\\|').replace(/\r?\n/g, '<br>');
}
/** An http(s) URL fit for a Markdown link destination, or undefined. */
function safeUrl(url) {
    if (!/^https?:\/\/[^\s]+$/i.test(url) || url.length > URL_LIMIT)
        return undefined;
    return url.replace(/[()<>"'\\`]/g, (char) => `%${char.charCodeAt(0).toString(16).toUpperCase()}`);
}
/** `label` linked to `url` when it is a safe http(s) URL, else `label` alone. */
function link(label, url) {
    const safe = url ? safeUrl(url) : undefined;
    return safe ? `[${label}](${safe})` : label;
}

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

export { FINDINGS_TABLE_HEADER as F, SEVERITIES as S, clip as a, atOrAbove as b, code as c, countsText as d, countBySeverity as e, parseSeverity as f, findingRow as g, flat as h, mergeLayerMaps as i, cell as j, safeUrl as k, link as l, mergePlatformFindings as m, platformNote as p, scanSection as s, text as t };
