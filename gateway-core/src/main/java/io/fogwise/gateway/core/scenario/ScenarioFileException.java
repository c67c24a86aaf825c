package io.fogwise.gateway.core.scenario;

/** A scenario file that cannot be read, with the file and line of the problem. */
public final class ScenarioFileException extends Exception {
  private final String file;
  private final int line;

  public ScenarioFileException(String file, int line, String message) {
    super(file + (line > 0 ? ":" + line : "") + ": " + message);
    this.file = file;
    this.line = line;
  }

  public String file() {
    return file;
  }

  /** 1-based line, 0 if unknown. */
  public int line() {
    return line;
  }
}
