package io.fogwise.cloud.mining;
/** What one mining pass found: generated rules (DRL, or null when it found none worth publishing), bundle parameters,
 *  human-readable findings, and the reasons it published nothing (too little data, ...). */
public record MiningResult(long atMillis, long fromMillis, long toMillis, String drl, java.util.Map<String, String> parameters,
    java.util.List<String> findings, java.util.List<String> refusals) implements io.fogwise.cloud.history.MiningOutcome {
  public MiningResult { parameters = java.util.Map.copyOf(parameters); findings = java.util.List.copyOf(findings);
    refusals = java.util.List.copyOf(refusals); }
  /** Whether there is anything to publish. */ public boolean publishable() { return refusals.isEmpty() && (drl != null || !parameters.isEmpty()); }
  /** One paragraph for operators. */ public String summary() {
    StringBuilder sb = new StringBuilder();
    findings.forEach(f -> sb.append(f).append('\n'));
    refusals.forEach(r -> sb.append("not published: ").append(r).append('\n'));
    return sb.toString();
  }
}
