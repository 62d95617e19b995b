// Trivy's severity scale, lowest first.
const SEVERITIES = ['UNKNOWN', 'LOW', 'MEDIUM', 'HIGH', 'CRITICAL'];
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

export { SEVERITIES as S, cell as a, code as c, parseSeverity as p };
