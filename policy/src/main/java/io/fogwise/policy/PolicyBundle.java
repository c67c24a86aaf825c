package io.fogwise.policy;

import io.fogwise.protocol.Subjects;
import com.fasterxml.jackson.annotation.JsonIgnore;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * The complete rule set of one scope, versioned and signed: what the cloud pushes and a gateway
 * applies. The signature (Ed25519) covers the {@linkplain PolicyBundles#canonical canonical
 * content}, which includes scope and version, so a bundle cannot be replayed into another scope
 * or as another version.
 *
 * @param scope {@code global} or {@code gw.<gatewayId>}
 * @param version strictly increasing per scope, from 1 ({@code global} v0 is the built-in packs)
 * @param author who pushed it
 * @param createdAtMillis wall time of creation
 * @param sources the DRL files
 * @param parameters typed parameters
 * @param sha256 hex SHA-256 of the canonical content
 * @param keyId the signing key's id
 * @param signature base64 Ed25519 signature of the canonical content
 */
public record PolicyBundle(String scope, long version, String author, long createdAtMillis, List<RuleFile> sources,
    Map<String, Param> parameters, String sha256, String keyId, String signature) {

  private static final Pattern SCOPE = Pattern.compile("global|gw\\.[A-Za-z0-9_-]{1,64}");

  public PolicyBundle {
    Objects.requireNonNull(scope, "scope");
    if (!SCOPE.matcher(scope).matches()) {
      throw new IllegalArgumentException("scope must be 'global' or 'gw.<gatewayId>', got '" + scope + "'");
    }
    if (version < 1) {
      throw new IllegalArgumentException("version must be >= 1, got " + version);
    }
    Objects.requireNonNull(author, "author");
    sources = sources == null ? List.of() : List.copyOf(sources);
    parameters = parameters == null ? Map.of() : java.util.Collections.unmodifiableMap(new TreeMap<>(parameters));
  }

  /** Whether {@code scope} names a valid scope. */
  public static boolean isScope(String scope) {
    return scope != null && SCOPE.matcher(scope).matches();
  }

  /** The scope of one gateway ({@link Subjects#gatewayScope}). */
  public static String gatewayScope(String gatewayId) {
    return Subjects.gatewayScope(gatewayId);
  }

  /** Parameter values as strings, for {@code Parameters}. */
  @JsonIgnore
  public Map<String, String> parameterValues() {
    Map<String, String> m = new TreeMap<>();
    parameters.forEach((k, v) -> m.put(k, v.value()));
    return m;
  }

  /** {@code global v3}. */
  @JsonIgnore
  public String label() {
    return scope + " v" + version;
  }

  /** One DRL file of a bundle. */
  public record RuleFile(String fileName, String drl) {
    public RuleFile {
      Objects.requireNonNull(fileName, "fileName");
      Objects.requireNonNull(drl, "drl");
    }
  }

  /**
   * A typed parameter.
   *
   * @param type {@code number}, {@code string} or {@code boolean}
   * @param value its value, checked against the type
   */
  public record Param(String type, String value) {
    public Param {
      Objects.requireNonNull(type, "type");
      Objects.requireNonNull(value, "value");
      switch (type) {
        case "number" -> {
          try {
            Double.parseDouble(value);
          } catch (NumberFormatException e) {
            throw new IllegalArgumentException("parameter value '" + value + "' is not a number");
          }
        }
        case "boolean" -> {
          if (!value.equals("true") && !value.equals("false")) {
            throw new IllegalArgumentException("parameter value '" + value + "' is not true or false");
          }
        }
        case "string" -> { }
        default -> throw new IllegalArgumentException("parameter type must be number, string or boolean, got '" + type + "'");
      }
    }

    /** A parameter whose type is inferred: number if it parses, boolean if true/false, else string. */
    public static Param infer(String value) {
      if (value.equals("true") || value.equals("false")) {
        return new Param("boolean", value);
      }
      try {
        Double.parseDouble(value);
        return new Param("number", value);
      } catch (NumberFormatException e) {
        return new Param("string", value);
      }
    }
  }
}
