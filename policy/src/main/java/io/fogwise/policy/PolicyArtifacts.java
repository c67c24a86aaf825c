package io.fogwise.policy;

import io.fogwise.protocol.Subjects;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fogwise.rules.host.RuleArtifactException;
import io.fogwise.rules.host.RuleCompilationException;
import io.fogwise.rules.host.RuleSet;
import io.fogwise.rules.source.RuleSource;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.security.PublicKey;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/** Building, signing, encoding, verifying and loading {@link PolicyArtifact}s. */
public final class PolicyArtifacts {
  /** The payload format: gzipped, serialized Drools packages of the classic (mvel) compiler. */
  public static final String FORMAT = "fogwise-drools-packages/1";

  private static final ObjectMapper CANONICAL = PolicyBundles.CANONICAL;
  private static final ObjectMapper JSON = PolicyBundles.JSON;

  private PolicyArtifacts() {}

  /**
   * Hex SHA-256 of {@code sources} in their order (file name and text of each): what identifies
   * an effective rule set. Parameters are not part of it: they are facts, not compiled.
   */
  public static String sourcesSha256(List<RuleSource> sources) {
    List<Map<String, String>> files = new ArrayList<>();
    for (RuleSource s : sources) {
      Map<String, String> f = new LinkedHashMap<>();
      f.put("drl", s.drl());
      f.put("fileName", s.fileName());
      files.add(f);
    }
    try {
      return sha256(CANONICAL.writeValueAsBytes(files));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** A compiled rule set with its artifact. */
  public record Built(RuleSet rules, PolicyArtifact artifact) {}

  /**
   * Compiles {@code policy} (sandbox first, exactly as a gateway would) and signs the result.
   *
   * @throws RuleCompilationException if it does not compile or breaks the sandbox
   */
  public static Built build(EffectivePolicy policy, String compiledBy, long nowMillis, PolicyBundles.SigningKey key)
      throws RuleCompilationException {
    RuleSet rules = RuleSet.compile(policy.label(), policy.sources());
    byte[] payload = rules.exportCompiled();
    PolicyArtifact unsigned = new PolicyArtifact(FORMAT, RuleSet.runtimeFingerprint(),
        sourcesSha256(policy.sources()), policy.label(), compiledBy, nowMillis, rules.compileMillis(),
        sha256(payload), Base64.getEncoder().encodeToString(payload), key.keyId(), null);
    PolicyArtifact signed = new PolicyArtifact(unsigned.format(), unsigned.runtime(), unsigned.sourcesSha256(),
        unsigned.label(), compiledBy, nowMillis, unsigned.compileMillis(), unsigned.payloadSha256(),
        unsigned.payload(), key.keyId(), PolicyBundles.sign(canonical(unsigned), key));
    return new Built(rules, signed);
  }

  /**
   * The effective policies a push of {@code bundle} makes live across the fleet, read from the
   * store: for a {@code global} bundle, global alone (gateways without their own bundle) and
   * global with each gateway scope's live bundle; for a gateway-scope bundle, the live global
   * (or the built-in packs) with it. Duplicates (same sources) are dropped. Other bundles are
   * not verified here: each gateway verifies what it composes, and an artifact compiled from
   * anything else is simply not found.
   */
  public static List<EffectivePolicy> affected(PolicyStore store, PolicyBundle bundle) {
    List<EffectivePolicy> out = new ArrayList<>();
    java.util.Set<String> seen = new java.util.HashSet<>();
    java.util.function.Consumer<EffectivePolicy> add = p -> {
      if (seen.add(sourcesSha256(p.sources()))) {
        out.add(p);
      }
    };
    if (bundle.scope().equals(Subjects.GLOBAL_SCOPE)) {
      add.accept(EffectivePolicy.compose(bundle, "gw.*", null));
      for (String scope : store.gatewayScopes()) {
        PolicyBundle mine = liveQuietly(store, scope);
        if (mine != null) {
          add.accept(EffectivePolicy.compose(bundle, scope, mine));
        }
      }
    } else {
      add.accept(EffectivePolicy.compose(liveQuietly(store, Subjects.GLOBAL_SCOPE), bundle.scope(), bundle));
    }
    return out;
  }

  private static PolicyBundle liveQuietly(PolicyStore store, String scope) {
    long v = store.liveVersion(scope);
    if (v == 0) {
      return null;
    }
    try {
      byte[] raw = store.raw(scope, v).orElse(null);
      return raw == null ? null : PolicyBundles.decode(raw);
    } catch (PolicyRejected e) {
      return null;
    }
  }

  /**
   * Builds every policy, in parallel on this machine's cores (each compile is single-threaded),
   * in the given order.
   */
  private static List<Built> compileAll(List<EffectivePolicy> policies, String compiledBy, long nowMillis,
      PolicyBundles.SigningKey key) throws CompileFailed {
    int threads = Math.min(policies.size(), Runtime.getRuntime().availableProcessors());
    if (threads <= 1) {
      List<Built> out = new ArrayList<>();
      for (EffectivePolicy p : policies) {
        try {
          out.add(build(p, compiledBy, nowMillis, key));
        } catch (RuleCompilationException e) {
          throw new CompileFailed(p, e.errors());
        }
      }
      return out;
    }
    java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(threads, r -> {
      Thread t = new Thread(r, "fogwise-precompile");
      t.setDaemon(true);
      return t;
    });
    try {
      List<java.util.concurrent.Future<Built>> futures = new ArrayList<>();
      for (EffectivePolicy p : policies) {
        futures.add(pool.submit(() -> build(p, compiledBy, nowMillis, key)));
      }
      List<Built> out = new ArrayList<>();
      for (int i = 0; i < futures.size(); i++) {
        try {
          out.add(futures.get(i).get());
        } catch (java.util.concurrent.ExecutionException e) {
          if (e.getCause() instanceof RuleCompilationException rce) {
            throw new CompileFailed(policies.get(i), rce.errors());
          }
          throw e.getCause() instanceof RuntimeException re ? re
              : new IllegalStateException("compiling " + policies.get(i).label() + " failed", e.getCause());
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new IllegalStateException("interrupted while compiling " + policies.get(i).label(), e);
        }
      }
      return out;
    } finally {
      pool.shutdownNow();
    }
  }

  /** The stored artifact of {@code sha} if this runtime compiled it with {@code key} (checked by the gateways anyway). */
  private static PolicyArtifact reusable(PolicyStore store, String sha, PolicyBundles.SigningKey key) {
    try {
      byte[] raw = store.artifact(sha).orElse(null);
      if (raw == null) {
        return null;
      }
      PolicyArtifact a = decode(raw);
      return key.keyId().equals(a.keyId()) && RuleSet.runtimeFingerprint().equals(a.runtime())
          && FORMAT.equals(a.format()) ? a : null;
    } catch (RuleArtifactException | RuntimeException e) {
      return null;
    }
  }

  /** An effective policy that does not compile, with its errors. */
  public static final class CompileFailed extends Exception {
    private final transient EffectivePolicy policy;
    private final transient List<io.fogwise.rules.source.RuleError> errors;

    CompileFailed(EffectivePolicy policy, List<io.fogwise.rules.source.RuleError> errors) {
      super(policy.label() + " does not compile or breaks the sandbox (" + errors.size() + " errors)");
      this.policy = policy;
      this.errors = List.copyOf(errors);
    }

    public EffectivePolicy policy() {
      return policy;
    }

    public List<io.fogwise.rules.source.RuleError> errors() {
      return errors;
    }
  }

  /**
   * What {@link #precompile} did for one effective policy.
   *
   * @param reused an artifact of the same sources, runtime and key was stored already
   */
  public record Precompiled(String label, String sourcesSha256, long compileMillis, int bytes, boolean reused) {}

  /**
   * Compiles every effective policy a push of {@code bundle} makes live ({@link #affected}) and
   * stores the signed artifacts, so gateways load them instead of compiling. Call it before
   * publishing the bundle.
   *
   * @throws CompileFailed if one does not compile or breaks the sandbox (nothing stored)
   */
  public static List<Precompiled> precompile(PolicyStore store, PolicyBundle bundle, String compiledBy, long nowMillis,
      PolicyBundles.SigningKey key) throws CompileFailed {
    List<Precompiled> out = new ArrayList<>();
    List<EffectivePolicy> toCompile = new ArrayList<>();
    for (EffectivePolicy p : affected(store, bundle)) {
      String sha = sourcesSha256(p.sources());
      if (reusable(store, sha, key) != null) {
        out.add(new Precompiled(p.label(), sha, 0, 0, true));
      } else {
        toCompile.add(p);
      }
    }
    List<Built> built = compileAll(toCompile, compiledBy, nowMillis, key);
    for (Built b : built) {
      byte[] encoded = encode(b.artifact());
      store.putArtifact(b.artifact());
      out.add(new Precompiled(b.artifact().label(), b.artifact().sourcesSha256(), b.artifact().compileMillis(),
          encoded.length, false));
    }
    return out;
  }

  /** The bytes that are signed: every field but the signature, canonically. */
  static byte[] canonical(PolicyArtifact a) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("format", a.format());
    m.put("runtime", a.runtime());
    m.put("sourcesSha256", a.sourcesSha256());
    m.put("label", a.label());
    m.put("compiledBy", a.compiledBy());
    m.put("compiledAtMillis", a.compiledAtMillis());
    m.put("compileMillis", a.compileMillis());
    m.put("payloadSha256", a.payloadSha256());
    m.put("keyId", a.keyId());
    try {
      return CANONICAL.writeValueAsBytes(m);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public static byte[] encode(PolicyArtifact a) {
    try {
      return JSON.writeValueAsBytes(a);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Decodes an artifact, or says why it cannot be read. */
  public static PolicyArtifact decode(byte[] data) throws RuleArtifactException {
    if (data == null || data.length == 0) {
      throw new RuleArtifactException("empty artifact");
    }
    try {
      return JSON.readValue(data, PolicyArtifact.class);
    } catch (IOException e) {
      Throwable t = e;
      while (t.getCause() != null) {
        t = t.getCause();
      }
      throw new RuleArtifactException("unreadable artifact: " + t.getMessage());
    }
  }

  /**
   * The rule set in {@code a}, for {@code policy}: checks that a trusted key signed exactly this
   * content, that it was compiled from {@code policy}'s sources by a compatible runtime, and that
   * the payload is intact, then loads it (with the checks of {@link RuleSet#load}).
   *
   * @throws RuleArtifactException naming the first check that failed
   */
  public static RuleSet load(PolicyArtifact a, TrustedKeys trusted, EffectivePolicy policy)
      throws RuleArtifactException {
    Objects.requireNonNull(trusted, "trusted");
    if (!FORMAT.equals(a.format())) {
      throw new RuleArtifactException(a.describe() + " has format " + a.format() + "; this gateway reads " + FORMAT);
    }
    if (a.signature() == null || a.keyId() == null) {
      throw new RuleArtifactException(a.describe() + " is not signed");
    }
    PublicKey key = trusted.get(a.keyId());
    if (key == null) {
      throw new RuleArtifactException(a.describe() + " is signed with key " + a.keyId() + ", which is not trusted");
    }
    try {
      if (!PolicyBundles.verifies(canonical(a), a.signature(), key)) {
        throw new RuleArtifactException(a.describe() + ": the signature does not verify with key " + a.keyId());
      }
    } catch (IllegalArgumentException e) {
      throw new RuleArtifactException(a.describe() + ": unreadable signature: " + e.getMessage());
    }
    String expected = sourcesSha256(policy.sources());
    if (!expected.equals(a.sourcesSha256())) {
      throw new RuleArtifactException(a.describe() + " was compiled from other sources than " + policy.label());
    }
    if (!RuleSet.runtimeFingerprint().equals(a.runtime())) {
      throw new RuleArtifactException(a.describe() + " was compiled for runtime " + a.runtime() + "; this one is "
          + RuleSet.runtimeFingerprint());
    }
    byte[] payload;
    try {
      payload = Base64.getDecoder().decode(a.payload());
    } catch (IllegalArgumentException e) {
      throw new RuleArtifactException(a.describe() + ": the payload is not base64");
    }
    if (!sha256(payload).equals(a.payloadSha256())) {
      throw new RuleArtifactException(a.describe() + ": the payload does not match its SHA-256 (tampered or corrupted)");
    }
    return RuleSet.load(policy.label(), policy.sources(), payload);
  }

  private static String sha256(byte[] data) {
    return PolicyBundles.sha256(data);
  }
}
