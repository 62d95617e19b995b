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

// Markdown for the step summary.
/** Inline code that survives backticks in the text. */
function code(text) {
    return `\`${text.replace(/`/g, "'")}\``;
}
/** A table cell stays one cell: pipes escaped, line breaks as <br>. */
function cell(value) {
    return value.replace(/\|/g, '\\|').replace(/\r?\n/g, '<br>');
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
    const top = rows.slice(0, TOP_ROWS).map((row) => tableRow(row, dockerfile));
    const parts = ['### Scan findings', '', ...FINDINGS_TABLE_HEADER, ...top, ''];
    if (rows.length > TOP_ROWS) {
        parts.push(`<details><summary>All ${rows.length} reported findings</summary>`, '', ...FINDINGS_TABLE_HEADER);
        let size = Buffer.byteLength(parts.join('\n'));
        let shown = 0;
        for (const row of rows) {
            const line = tableRow(row, dockerfile);
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
function tableRow({ finding, line }, dockerfile) {
    const id = finding.url ? `[${finding.id}](${finding.url})` : code(finding.id);
    const what = finding.pkgName || finding.target;
    return `| ${finding.severity} | ${cell(id)} | ${cell(what)} | ${cell(finding.pkgVersion)} | ${cell(finding.fixedVersion)} | ${cell(`${dockerfile}:${line}`)} |`;
}

export { FINDINGS_TABLE_HEADER as F, SEVERITIES as S, cell as a, atOrAbove as b, code as c, countsText as d, countBySeverity as e, parseSeverity as p, scanSection as s };
