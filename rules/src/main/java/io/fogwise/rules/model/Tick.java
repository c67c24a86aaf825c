package io.fogwise.rules.model;

/** The rule clock as a fact: the gateway updates it once per evaluation cycle. */
public final class Tick {
  private long nowMillis;

  public Tick(long nowMillis) {
    this.nowMillis = nowMillis;
  }

  /** Milliseconds on the gateway's injected clock. */
  public long getNowMillis() {
    return nowMillis;
  }

  public void setNowMillis(long nowMillis) {
    this.nowMillis = nowMillis;
  }
}
