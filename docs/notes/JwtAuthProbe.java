import io.nats.client.*;
import io.nats.client.api.*;
import io.nats.client.support.*;
import java.nio.file.*;
import java.time.Duration;
import java.util.concurrent.*;

public class JwtAuthProbe {
  record Raw(String json) implements JsonSerializable { public String toJson() { return json; } }
  static String limits = "{\"subs\":-1,\"data\":-1,\"payload\":-1,\"imports\":-1,\"exports\":-1,\"wildcards\":true,\"conn\":-1,\"leaf\":-1,\"mem_storage\":-1,\"disk_storage\":-1,\"streams\":-1,\"consumer\":-1}";
  static String acct(NKey op, String opPub, String pub, String name, String revocations) throws Exception {
    String limits = name.equals("SYS") ? "{\"subs\":-1,\"data\":-1,\"payload\":-1,\"imports\":-1,\"exports\":-1,\"wildcards\":true,\"conn\":-1,\"leaf\":-1}" : JwtAuthProbe.limits;
    return JwtUtils.issueJWT(op, pub, name, null, System.currentTimeMillis() / 1000, opPub, null, new Raw(
        "{\"type\":\"account\",\"version\":2,\"limits\":" + limits + (revocations == null ? "" : ",\"revocations\":" + revocations) + "}"));
  }
  public static void main(String[] a) throws Exception {
    NKey op = NKey.createOperator(null), acc = NKey.createAccount(null), sys = NKey.createAccount(null);
    NKey user = NKey.createUser(null), admin = NKey.createUser(null);
    String opPub = new String(op.getPublicKey()), accPub = new String(acc.getPublicKey()), sysPub = new String(sys.getPublicKey());
    long now = System.currentTimeMillis() / 1000;
    Files.writeString(Path.of("op.jwt"), JwtUtils.issueJWT(op, opPub, "fogwise", null, now, opPub, null, new Raw(
        "{\"type\":\"operator\",\"version\":2,\"system_account\":\"" + sysPub + "\"}")));
    String userJwt = JwtUtils.issueUserJWT(acc, new String(user.getPublicKey()), "gw-1", null, now - 5, new JwtUtils.UserClaim(accPub)
        .pub(new JwtUtils.Permission().allow("$JS.API.>", "$KV.fw-desired-gw-1.>", "_INBOX.>")).sub(new JwtUtils.Permission().allow("_INBOX.>")));
    String adminJwt = JwtUtils.issueUserJWT(sys, new String(admin.getPublicKey()), "sys-admin", null, now, new JwtUtils.UserClaim(sysPub));
    Path dir = Files.createDirectories(Path.of("jwt")); Path js = Files.createDirectories(Path.of("js"));
    Files.writeString(Path.of("server2.conf"), "listen: 127.0.0.1:" + a[0] + "\nserver_name: s1\njetstream: {store_dir: " + js.toAbsolutePath() + "}\noperator: " + Path.of("op.jwt").toAbsolutePath()
        + "\nsystem_account: " + sysPub + "\nresolver: { type: full, dir: \"" + dir.toAbsolutePath() + "\" }\nresolver_preload: {\n " + accPub + ": \"" + acct(op, opPub, accPub, "fleet", null) + "\"\n " + sysPub + ": \"" + acct(op, opPub, sysPub, "SYS", null) + "\"\n}\n");
    Process p = new ProcessBuilder("nats-server", "-c", "server2.conf").redirectErrorStream(true).redirectOutput(new java.io.File("server2.log")).start();
    Thread.sleep(3000);
    try {
      BlockingQueue<String> events = new LinkedBlockingQueue<>();
      Connection c = Nats.connect(new Options.Builder().server("nats://127.0.0.1:" + a[0]).noReconnect()
          .authHandler(Nats.staticCredentials(userJwt.toCharArray(), user.getSeed()))
          .connectionListener((conn, t) -> events.add("conn " + t))
          .errorListener(new ErrorListener() { public void errorOccurred(Connection conn, String error) { events.add("err " + error); } }).build());
      KeyValue kv = null;
      try { c.keyValueManagement().create(KeyValueConfiguration.builder().name("fw-desired-gw-1").storageType(StorageType.File).build()); kv = c.keyValue("fw-desired-gw-1"); kv.put("state", "x"); System.out.println("KV put ok: " + new String(kv.get("state").getValue())); }
      catch (Exception e) { System.out.println("KV failed: " + e); }
      try { c.keyValueManagement().create(KeyValueConfiguration.builder().name("fw-desired-gw-2").build()); c.keyValue("fw-desired-gw-2").put("state", "x"); System.out.println("foreign KV put ok (bad)"); }
      catch (Exception e) { System.out.println("foreign KV refused: " + e.getMessage()); }
      // revoke the user by pushing an updated account JWT through the system account
      Connection s = Nats.connect(new Options.Builder().server("nats://127.0.0.1:" + a[0]).noReconnect()
          .authHandler(Nats.staticCredentials(adminJwt.toCharArray(), admin.getSeed())).build());
      String revoked = acct(op, opPub, accPub, "fleet", "{\"" + new String(user.getPublicKey()) + "\":" + now + "}");
      Message r = s.request("$SYS.REQ.CLAIMS.UPDATE", revoked.getBytes(), Duration.ofSeconds(2));
      System.out.println("claims update reply: " + new String(r.getData()));
      long t0 = System.nanoTime();
      String ev;
      while ((ev = events.poll(3, TimeUnit.SECONDS)) != null) { System.out.println((System.nanoTime() - t0) / 1000000 + " ms: " + ev); if (ev.contains("CLOSED") || ev.contains("DISCONNECTED")) break; }
      System.out.println("status " + c.getStatus());
    } finally { p.destroy(); p.waitFor(); }
    System.out.println(Files.readString(Path.of("server2.log")).lines().filter(l -> l.contains("[ERR]") || l.contains("[WRN]") || l.contains("evok")).limit(6).toList());
  }
}
