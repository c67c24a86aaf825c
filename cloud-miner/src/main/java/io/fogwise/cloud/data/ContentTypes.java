package io.fogwise.cloud.data;

import java.util.Locale;
import java.util.Map;

/** Content types guessed from file names, for items put without one. */
public final class ContentTypes {
  /** What an item is when nothing better is known. */
  public static final String OCTET_STREAM = "application/octet-stream";

  private static final Map<String, String> BY_EXTENSION = Map.of(
      "json", "application/json",
      "csv", "text/csv",
      "txt", "text/plain");

  private ContentTypes() {}

  /** The content type of a file named {@code fileName}: by its extension, else {@value #OCTET_STREAM}. */
  public static String guess(String fileName) {
    if (fileName == null) {
      return OCTET_STREAM;
    }
    int dot = fileName.lastIndexOf('.');
    int slash = Math.max(fileName.lastIndexOf('/'), fileName.lastIndexOf('\\'));
    if (dot <= slash + 1 || dot == fileName.length() - 1) {
      return OCTET_STREAM;
    }
    return BY_EXTENSION.getOrDefault(fileName.substring(dot + 1).toLowerCase(Locale.ROOT), OCTET_STREAM);
  }
}
