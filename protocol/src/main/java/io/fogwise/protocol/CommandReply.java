package io.fogwise.protocol;

/**
 * An agent's answer to a {@link Command}, or the error reply to a message that could not be
 * read as one.
 *
 * @param requestId the command's id, or null if the command could not be read
 * @param deviceId the answering device
 * @param ok whether the command was carried out
 * @param error why not, when {@code ok} is false
 * @param nextNumber HANDOVER only: the number the successor continues from, or null when the
 *     service does not number its output
 */
public record CommandReply(String requestId, String deviceId, boolean ok, String error, Long nextNumber) {
  public CommandReply {
    Checks.id(deviceId, "deviceId");
    if (!ok && (error == null || error.isBlank())) {
      throw ProtocolViolation.missing("error");
    }
  }

  public static CommandReply ok(String requestId, String deviceId) {
    return new CommandReply(requestId, deviceId, true, null, null);
  }

  /** The answer to a HANDOVER: output stopped, the successor continues from {@code nextNumber}. */
  public static CommandReply handedOver(String requestId, String deviceId, Long nextNumber) {
    return new CommandReply(requestId, deviceId, true, null, nextNumber);
  }

  public static CommandReply error(String requestId, String deviceId, String error) {
    return new CommandReply(requestId, deviceId, false, error, null);
  }
}
