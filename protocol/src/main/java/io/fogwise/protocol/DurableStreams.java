package io.fogwise.protocol;

import io.nats.client.JetStreamApiException;
import io.nats.client.JetStreamManagement;
import io.nats.client.api.AckPolicy;
import io.nats.client.api.ConsumerConfiguration;
import io.nats.client.api.ConsumerInfo;
import io.nats.client.api.DeliverPolicy;
import io.nats.client.api.DiscardPolicy;
import io.nats.client.api.ReplayPolicy;
import io.nats.client.api.RetentionPolicy;
import io.nats.client.api.StorageType;
import io.nats.client.api.StreamConfiguration;
import io.nats.client.api.StreamInfo;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * The JetStream side of a {@link DurableChannel}: its stream and consumers, and creating them.
 * Apart from {@link DurableChannel} (pure configuration, which every module validating a
 * {@link ServiceSpec} loads) because it needs the NATS client, which the decision core does not
 * have on its class path.
 */
public final class DurableStreams {
  /** How long {@link #provision} waits to learn whether the gateway's site domain answers. */
  private static final Duration SITE_PROBE = Duration.ofSeconds(2);

  private DurableStreams() {}

  /**
   * The durable consumer of subscriber service {@code service} on {@code channel}: named after
   * the service (so an instance on another device continues where the last one stopped), a
   * queue group of the service (during a make-before-break move each message goes to one of
   * the two instances), explicit acknowledgement, from the first message the stream holds.
   */
  public static ConsumerConfiguration consumerConfiguration(DurableChannel ch, String service, String channel) {
    return ConsumerConfiguration.builder()
        .durable(Subjects.token(service))
        .description("Fogwise durable subscriber " + service + " of " + Subjects.data(ch.app(), channel))
        .filterSubject(Subjects.data(ch.app(), channel))
        .deliverSubject(DurableChannel.deliverSubject(service))
        .deliverGroup(service)
        .deliverPolicy(DeliverPolicy.All)
        .ackPolicy(AckPolicy.Explicit)
        .ackWait(DurableChannel.ACK_WAIT)
        .maxAckPending(DurableChannel.MAX_ACK_PENDING)
        .replayPolicy(ReplayPolicy.Instant)
        .build();
  }

  /**
   * Creates the durable consumer of subscriber service {@code service} on {@code channel}, or
   * updates it; what {@link #provision} calls after {@link #ensure} before the spec starts the
   * subscriber. Its position (what was acknowledged) is kept across updates.
   *
   * @throws IOException if JetStream cannot be reached
   * @throws JetStreamApiException if JetStream refuses (e.g. the stream does not exist)
   */
  public static ConsumerInfo ensureSubscriber(DurableChannel ch, JetStreamManagement jsm, String service,
      String channel)
      throws IOException, JetStreamApiException {
    Objects.requireNonNull(jsm, "jsm");
    return jsm.addOrUpdateConsumer(ch.stream(), consumerConfiguration(ch, service, channel));
  }

  /** The stream's configuration: file storage, limits by age and size, oldest discarded, duplicate window. */
  public static StreamConfiguration streamConfiguration(DurableChannel ch) {
    return StreamConfiguration.builder()
        .name(ch.stream())
        .description("Fogwise durable data channels of application " + ch.app())
        .subjects(ch.subjects())
        .storageType(StorageType.File)
        .retentionPolicy(RetentionPolicy.Limits)
        .discardPolicy(DiscardPolicy.Old)
        .maxAge(ch.maxAge())
        .maxBytes(ch.maxBytes())
        .duplicateWindow(DurableChannel.DUPLICATE_WINDOW)
        .replicas(1)
        .build();
  }

  /**
   * Creates the stream, or updates its limits when they differ; does nothing when it is as
   * configured. What {@link #provision} calls (in the gateway's site domain, or on the hub) before a durable
   * publisher or subscriber: instances may not create or update streams.
   *
   * @return the stream's info after the call
   * @throws IOException if JetStream cannot be reached, naming the stream
   * @throws JetStreamApiException if JetStream refuses (e.g. another stream captures the subjects)
   */
  public static StreamInfo ensure(DurableChannel ch, JetStreamManagement jsm) throws IOException, JetStreamApiException {
    Objects.requireNonNull(jsm, "jsm");
    StreamConfiguration wanted = streamConfiguration(ch);
    StreamInfo existing;
    try {
      existing = jsm.getStreamInfo(ch.stream());
    } catch (JetStreamApiException e) {
      if (e.getApiErrorCode() != 10059) { // stream not found
        throw e;
      }
      return jsm.addStream(wanted);
    }
    StreamConfiguration have = existing.getConfiguration();
    if (have.getSubjects().equals(List.of(ch.subjects())) && have.getMaxAge().equals(ch.maxAge())
        && have.getMaxBytes() == ch.maxBytes() && have.getDiscardPolicy() == DiscardPolicy.Old
        && have.getDuplicateWindow().equals(DurableChannel.DUPLICATE_WINDOW) && have.getStorageType() == StorageType.File) {
      return existing;
    }
    if (have.getStorageType() != StorageType.File) {
      throw new IllegalStateException("stream " + ch.stream() + " exists with " + have.getStorageType()
          + " storage; a durable channel needs file storage and JetStream cannot change it: delete the stream");
    }
    return jsm.updateStream(wanted);
  }

  /**
   * Creates, as an operator (or the cloud), what {@code spec} needs when it declares a durable
   * channel: the application's stream and, for a subscriber, its durable consumer. They go where
   * the gateway's devices publish: in the gateway's own JetStream domain when it runs its site's
   * NATS as a leaf node ({@code fogwise gateway --leaf}), else on the hub. Gateways cannot create
   * them (a gateway allowed to create a stream on the hub could make it capture any subject), and
   * instances may neither create streams nor consumers, so {@code fogwise service apply} does this
   * before it sends the spec.
   *
   * @return where they were made ({@code domain <gw>} or {@code hub}), empty for a core-only spec
   * @throws IOException naming the stream or consumer when JetStream cannot be reached or refuses
   */
  public static Optional<String> provision(io.nats.client.Connection operator, String gatewayId, ServiceSpec spec)
      throws IOException {
    Objects.requireNonNull(operator, "operator");
    Objects.requireNonNull(spec, "spec");
    Optional<DurableChannel> channel = DurableChannel.fromConfig(spec.config());
    if (channel.isEmpty()) {
      return Optional.empty();
    }
    DurableChannel ch = channel.get();
    String where = "hub";
    JetStreamManagement jsm = operator.jetStreamManagement();
    JetStreamManagement site = operator.jetStreamManagement(io.nats.client.JetStreamOptions.builder()
        .domain(Subjects.gatewayDomain(gatewayId)).requestTimeout(SITE_PROBE).build());
    try {
      site.getAccountStatistics(); // answered only by a leaf node of that domain
      jsm = site;
      where = "domain " + Subjects.gatewayDomain(gatewayId);
    } catch (IOException | JetStreamApiException | RuntimeException noSite) {
      // no JetStream of that domain: the gateway's devices use the hub
    }
    try {
      ensure(ch, jsm);
      if ("subscriber".equals(spec.kind())) {
        ensureSubscriber(ch, jsm, spec.name(), spec.config().getOrDefault("channel", "readings"));
      }
    } catch (JetStreamApiException e) {
      throw new IOException("durable channel of " + spec.name() + ": JetStream (" + where + ") refused stream "
          + ch.stream() + (("subscriber".equals(spec.kind())) ? " or consumer " + spec.name() : "") + ": "
          + e.getMessage(), e);
    }
    return Optional.of(where);
  }

}
