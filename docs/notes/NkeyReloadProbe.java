import io.nats.client.*;
import io.nats.client.api.*;
import io.nats.client.support.*;
import java.nio.file.*;
import java.time.Duration;
import java.util.*;
import java.util.concurrent.*;

// Static nkey users in the server config, changed by config reload (nats-server --signal reload=<pid>).
// Run: java -cp jnats-2.25.3.jar:bcprov-lts8on-2.73.10.jar NkeyReloadProbe.java <port> [global|accounts|scale|jwt]
public class NkeyReloadProbe {
  record Ev(long t, String s) {}
  record C(Connection c, BlockingQueue<Ev> ev) {}
  static int port; static String url; static Process server; static long pid;
  static boolean accounts; static Map<String, String> users = new LinkedHashMap<>();
  static Path log = Path.of("server.log").toAbsolutePath();

  static String list(String... s) { return "[" + String.join(", ", Arrays.stream(s).map(x -> "\"" + x + "\"").toList()) + "]"; }
  static String perms(String[] pub, String[] sub, String resp) {
    return "{" + (pub == null ? "" : "publish: {allow: " + list(pub) + "}, ") + "subscribe: {allow: " + list(sub) + "}"
        + (resp == null ? "" : ", allow_responses: " + resp) + "}";
  }
  static String pub(NKey k) throws Exception { return new String(k.getPublicKey()); }
  static void user(NKey k, String perms) throws Exception { users.put(pub(k), perms); }
  static long writeConf() throws Exception {
    StringBuilder u = new StringBuilder();
    for (var e : users.entrySet()) u.append("    {nkey: ").append(e.getKey()).append(", permissions: ").append(e.getValue()).append("}\n");
    String js = "jetstream: {store_dir: \"" + Path.of("js").toAbsolutePath() + "\"}\n";
    String conf = "listen: 127.0.0.1:" + port + "\nserver_name: s1\n" + js + (accounts
        ? "accounts: {\n  FLEET: {\n   jetstream: enabled\n   users: [\n" + u + "   ]\n  }\n}\n"
        : "authorization: {\n  users: [\n" + u + "  ]\n}\n");
    Files.writeString(Path.of("server.conf.tmp"), conf);
    Files.move(Path.of("server.conf.tmp"), Path.of("server.conf"), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    return conf.length();
  }
  static long start() throws Exception {
    writeConf(); Files.deleteIfExists(log);
    long t0 = System.nanoTime();
    server = new ProcessBuilder("nats-server", "-c", "server.conf").redirectErrorStream(true).redirectOutput(log.toFile()).start();
    pid = server.pid();
    while (!logCount("Server is ready", 0)) Thread.sleep(5);
    return ms(t0);
  }
  static void stop() throws Exception { if (server != null) { server.destroy(); server.waitFor(); } }
  static long ms(long t0) { return (System.nanoTime() - t0) / 1_000_000; }
  static boolean logCount(String s, int more) throws Exception {
    return Files.exists(log) && Files.readString(log).lines().filter(l -> l.contains(s)).count() > more;
  }
  static long cpuTicks() throws Exception {
    String[] f = Files.readString(Path.of("/proc/" + pid + "/stat")).split("\\) ")[1].split(" ");
    return Long.parseLong(f[11]) + Long.parseLong(f[12]); // utime + stime, 1/100 s
  }
  static long rss() throws Exception {
    return Files.readString(Path.of("/proc/" + pid + "/status")).lines().filter(l -> l.startsWith("VmRSS")).map(l -> Long.parseLong(l.replaceAll("\\D", ""))).findFirst().orElse(-1L) / 1024;
  }
  /** rewrites the config, sends the reload signal; returns System.nanoTime() just before the signal */
  static long reload() throws Exception {
    writeConf();
    long t0 = System.nanoTime();
    Process p = new ProcessBuilder("nats-server", "--signal", "reload=" + pid).inheritIO().start();
    p.waitFor();
    return t0;
  }
  static long waitReloaded(long t0, int before) throws Exception {
    while (!logCount("Reloaded server configuration", before)) { if (ms(t0) > 60000) throw new RuntimeException("no reload"); Thread.sleep(1); }
    return ms(t0);
  }
  static int reloads() throws Exception { return (int) Files.readString(log).lines().filter(l -> l.contains("Reloaded server configuration")).count(); }

  static C connect(NKey k, boolean reconnect) throws Exception { return connect(k, reconnect, null); }
  static C connect(NKey k, boolean reconnect, String inbox) throws Exception {
    BlockingQueue<Ev> ev = new LinkedBlockingQueue<>();
    Options.Builder b = new Options.Builder().server(url).authHandler(Nats.staticCredentials(null, k.getSeed()))
        .connectionListener((conn, t) -> ev.add(new Ev(System.nanoTime(), "conn " + t)))
        .errorListener(new ErrorListener() { public void errorOccurred(Connection conn, String e) { ev.add(new Ev(System.nanoTime(), "err " + e)); } })
        .connectionTimeout(Duration.ofSeconds(2));
    if (reconnect) b.maxReconnects(3).reconnectWait(Duration.ofMillis(200)); else b.noReconnect();
    if (inbox != null) b.inboxPrefix(inbox);
    return new C(Nats.connect(b.build()), ev);
  }
  static List<String> drain(C c, long waitMs) throws Exception {
    c.c().flush(Duration.ofSeconds(1)); Thread.sleep(waitMs);
    List<String> out = new ArrayList<>(); Ev e; while ((e = c.ev().poll()) != null) out.add(e.s()); return out;
  }
  static String tryConnect(NKey k) { try { C c = connect(k, false); c.c().close(); return "connected"; } catch (Exception e) { return "refused: " + e.getMessage(); } }

  static String[] P1 = {"fw.ok.>", "fw.later.>", "$JS.API.INFO", "$JS.API.STREAM.CREATE.KV_fw-desired-gw-1", "$JS.API.STREAM.INFO.KV_fw-desired-gw-1", "$KV.fw-desired-gw-1.>", "$JS.API.DIRECT.GET.KV_fw-desired-gw-1.>", "$JS.API.STREAM.MSG.GET.KV_fw-desired-gw-1", "$JS.API.STREAM.CREATE.KV_fw-desired-gw-2", "$KV.fw-desired-gw-2.>"};

  static void functional() throws Exception {
    NKey u1 = NKey.createUser(null), victim = NKey.createUser(null), other = NKey.createUser(null), resp = NKey.createUser(null), req = NKey.createUser(null);
    // gw-2 bucket subjects allowed on purpose only for create; see below
    String[] p1 = Arrays.copyOf(P1, P1.length - 2);
    user(u1, perms(p1, new String[]{"fw.ok.>", "_INBOX.>"}, null));
    user(victim, perms(new String[]{"fw.v.>"}, new String[]{"_INBOX.>"}, null));
    user(other, perms(new String[]{"fw.ok.>"}, new String[]{"_INBOX.>"}, null));
    user(resp, perms(null, new String[]{"svc.gw-1.>"}, "{max: 1, expires: \"1m\"}"));
    user(req, perms(new String[]{"svc.gw-1.>"}, new String[]{"_INBOX.gw-1.>"}, null));
    System.out.println("start ms " + start() + " (" + (accounts ? "accounts block FLEET" : "authorization block, global account") + ")");
    try {
      System.out.println("-- 1. staticCredentials(null, seed) --");
      C c1 = connect(u1, false);
      c1.c().publish("fw.cmd.edge-1", "x".getBytes());
      System.out.println("u1 connected; publish fw.cmd.edge-1 -> " + drain(c1, 200));

      System.out.println("-- 5. JetStream --");
      try { c1.c().keyValueManagement().create(KeyValueConfiguration.builder().name("fw-desired-gw-1").storageType(StorageType.File).build());
        KeyValue kv = c1.c().keyValue("fw-desired-gw-1"); kv.put("state", "x"); System.out.println("KV put/get ok: " + new String(kv.get("state").getValue())); }
      catch (Exception e) { System.out.println("KV failed: " + e); }
      try { c1.c().keyValueManagement().create(KeyValueConfiguration.builder().name("fw-desired-gw-2").build()); System.out.println("foreign KV create ok (bad)"); }
      catch (Exception e) { System.out.println("foreign KV refused: " + e.getMessage()); }
      System.out.println("errors: " + drain(c1, 100));

      System.out.println("-- 2. remove victim, reload --");
      C cv = connect(victim, true);
      cv.c().publish("fw.v.1", "x".getBytes()); drain(cv, 50);
      users.remove(pub(victim));
      int before = reloads();
      long t0 = reload();
      long sig = ms(t0);
      long rl = waitReloaded(t0, before);
      List<String> evs = new ArrayList<>(); Ev e; long first = -1;
      while ((e = cv.ev().poll(3, TimeUnit.SECONDS)) != null) { evs.add(((e.t() - t0) / 1_000_000) + "ms " + e.s()); if (first < 0) first = (e.t() - t0) / 1_000_000; if (e.s().contains("closed")) break; }
      System.out.println("signal command took " + sig + " ms; 'Reloaded' in log after " + rl + " ms; first client event after " + first + " ms");
      System.out.println("victim events: " + evs);
      System.out.println("victim status " + cv.c().getStatus() + "; fresh connect: " + tryConnect(victim));
      System.out.println("u1 still " + c1.c().getStatus());

      System.out.println("-- 3. change u1 permissions, reload --");
      C co = connect(other, false);
      Subscription s1 = c1.c().subscribe("fw.ok.a"); c1.c().publish("fw.later.x", "x".getBytes());
      System.out.println("before: pub fw.later.x + sub fw.ok.a -> " + drain(c1, 100));
      co.c().publish("fw.ok.a", "m1".getBytes()); co.c().flush(Duration.ofSeconds(1));
      System.out.println("before: msg on existing sub fw.ok.a: " + (s1.nextMessage(Duration.ofMillis(500)) != null));
      String[] p1b = Arrays.copyOf(p1, p1.length); p1b[1] = "fw.new.>"; // drop fw.later.>, add fw.new.>
      users.put(pub(u1), perms(p1b, new String[]{"fw.sub2.>", "_INBOX.>"}, null)); // drop sub fw.ok.>
      before = reloads(); t0 = reload(); rl = waitReloaded(t0, before);
      System.out.println("reloaded after " + rl + " ms; u1 " + c1.c().getStatus() + "; u1 events during reload: " + drain(c1, 100));
      c1.c().publish("fw.later.x", "x".getBytes());
      System.out.println("after: pub fw.later.x (removed) -> " + drain(c1, 200));
      c1.c().publish("fw.new.x", "x".getBytes());
      System.out.println("after: pub fw.new.x (added) -> " + drain(c1, 200));
      co.c().publish("fw.ok.a", "m2".getBytes()); co.c().flush(Duration.ofSeconds(1));
      System.out.println("after: msg on old sub fw.ok.a (sub no longer allowed): " + (s1.nextMessage(Duration.ofMillis(500)) != null) + " sub active " + s1.isActive());
      c1.c().subscribe("fw.ok.b");
      System.out.println("after: new sub fw.ok.b -> " + drain(c1, 200));
      Subscription s2 = c1.c().subscribe("fw.sub2.a");
      co.c().publish("fw.ok.a", "m".getBytes()); // other cannot publish fw.sub2; just check no error for u1
      System.out.println("after: new sub fw.sub2.a (added) -> " + drain(c1, 200));

      System.out.println("-- 6. allow_responses + inbox prefix --");
      C cr = connect(resp, false);
      Dispatcher d = cr.c().createDispatcher(m -> { cr.c().publish(m.getReplyTo(), "r1".getBytes()); cr.c().publish(m.getReplyTo(), "r2".getBytes()); });
      d.subscribe("svc.gw-1.ping"); cr.c().flush(Duration.ofSeconds(1));
      C cq = connect(req, false, "_INBOX.gw-1.");
      Subscription in = cq.c().subscribe("_INBOX.gw-1.manual");
      cq.c().publish("svc.gw-1.ping", "_INBOX.gw-1.manual", "q".getBytes());
      Message m1 = in.nextMessage(Duration.ofSeconds(1)), m2 = in.nextMessage(Duration.ofMillis(300));
      System.out.println("reply 1: " + (m1 == null ? null : new String(m1.getData())) + ", reply 2 (max 1): " + (m2 == null ? null : new String(m2.getData())));
      System.out.println("responder errors: " + drain(cr, 100));
      try { Message r = cq.c().request("svc.gw-1.ping", "q".getBytes(), Duration.ofSeconds(1)); System.out.println("request with inbox prefix _INBOX.gw-1.: " + new String(r.getData())); }
      catch (Exception ex) { System.out.println("request with prefix failed: " + ex); }
      cr.c().publish("fw.other", "x".getBytes());
      System.out.println("responder publish fw.other (not a reply) -> " + drain(cr, 200));
      C cq2 = connect(req, false);
      try { Message r = cq2.c().request("svc.gw-1.ping", "q".getBytes(), Duration.ofMillis(700)); System.out.println("default _INBOX. request (sub only _INBOX.gw-1.>): reply " + r + " " + drain(cq2, 100)); }
      catch (Exception ex) { System.out.println("default _INBOX. request: " + ex.getClass().getSimpleName() + " " + drain(cq2, 100)); }
    } finally { stop(); }
    System.out.println("server log ERR/WRN: ");
    Files.readString(log).lines().filter(l -> l.contains("[ERR]") || l.contains("[WRN]") || l.contains("Reloaded") || l.contains("JetStream")).limit(30).forEach(l -> System.out.println("  " + l));
  }

  static void scale(int n, int clients) throws Exception {
    users.clear();
    List<NKey> fill = new ArrayList<>();
    long g0 = System.nanoTime();
    for (int i = 0; i < n; i++) {
      NKey k = NKey.createUser(null); fill.add(k);
      String gw = "gw-" + i;
      user(k, perms(new String[]{"fw.evt." + gw + ".>", "$KV.fw-desired-" + gw + ".>", "$JS.API.STREAM.INFO.KV_fw-desired-" + gw, "$JS.API.DIRECT.GET.KV_fw-desired-" + gw + ".>"},
          new String[]{"fw.cmd." + gw + ".>", "_INBOX." + gw + ".>"}, "true"));
    }
    long gen = ms(g0);
    long size = writeConf();
    long st = start();
    try {
      List<C> cs = new ArrayList<>();
      for (int i = 0; i < Math.min(clients, n); i++) cs.add(connect(fill.get(i), false));
      System.out.printf("n=%d users: keygen %d ms, config %d KB, start %d ms, RSS %d MB, %d clients connected%n", n, gen, size / 1024, st, rss(), cs.size());
      for (int round = 0; round < 3; round++) {
        NKey nu = NKey.createUser(null);
        user(nu, perms(new String[]{"fw.evt.new.>"}, new String[]{"_INBOX.>"}, "true"));
        int before = reloads();
        long w0 = System.nanoTime(); writeConf(); long write = ms(w0);
        long cpu0 = cpuTicks();
        long t0 = reload(); long sig = ms(t0);
        long rl = waitReloaded(t0, before);
        String res = tryConnect(nu); long ok = ms(t0);
        Thread.sleep(300);
        long cpu = (cpuTicks() - cpu0) * 10;
        long alive = cs.stream().filter(c -> c.c().getStatus() == Connection.Status.CONNECTED).count();
        System.out.printf("  reload %d: config write %d ms, signal cmd %d ms, 'Reloaded' logged %d ms, new user %s at %d ms, server CPU %d ms, RSS %d MB, clients still connected %d/%d%n",
            round, write, sig, rl, res, ok, cpu, rss(), alive, cs.size());
      }
      if (!cs.isEmpty()) { // revoke one connected user among n
        users.remove(pub(fill.get(0))); int before = reloads(); long t0 = reload();
        Ev e; long gone = -1; while ((e = cs.get(0).ev().poll(10, TimeUnit.SECONDS)) != null) if (e.s().contains("disconnected") || e.s().contains("closed")) { gone = (e.t() - t0) / 1_000_000; break; }
        System.out.printf("  remove 1 connected user: 'Reloaded' logged %d ms, its connection closed at %d ms, others connected %d/%d%n", waitReloaded(t0, before), gone,
            cs.stream().skip(1).filter(c -> c.c().getStatus() == Connection.Status.CONNECTED).count(), cs.size() - 1);
      }
      for (C c : cs) c.c().close();
    } finally { stop(); }
    String lines = String.join("\n  ", Files.readString(log).lines().filter(l -> l.contains("Reloaded server") || l.contains("[ERR]") || l.contains("[WRN]")).limit(6).toList());
    System.out.println("  log: " + lines);
  }

  // allow_responses + inbox prefix with a JWT user, for comparison
  record Raw(String json) implements JsonSerializable { public String toJson() { return json; } }
  static void jwt() throws Exception {
    NKey op = NKey.createOperator(null), acc = NKey.createAccount(null), sys = NKey.createAccount(null), r = NKey.createUser(null), q = NKey.createUser(null);
    String opPub = new String(op.getPublicKey()), accPub = new String(acc.getPublicKey()), sysPub = new String(sys.getPublicKey());
    long now = System.currentTimeMillis() / 1000;
    Files.writeString(Path.of("op.jwt"), JwtUtils.issueJWT(op, opPub, "fogwise", null, now, opPub, null, new Raw("{\"type\":\"operator\",\"version\":2,\"system_account\":\"" + sysPub + "\"}")));
    String lim = "{\"subs\":-1,\"data\":-1,\"payload\":-1,\"imports\":-1,\"exports\":-1,\"wildcards\":true,\"conn\":-1,\"leaf\":-1}";
    String accJwt = JwtUtils.issueJWT(op, accPub, "fleet", null, now, opPub, null, new Raw("{\"type\":\"account\",\"version\":2,\"limits\":" + lim + "}"));
    String sysJwt = JwtUtils.issueJWT(op, sysPub, "SYS", null, now, opPub, null, new Raw("{\"type\":\"account\",\"version\":2,\"limits\":" + lim + "}"));
    String rJwt = JwtUtils.issueUserJWT(acc, pub(r), "resp", null, now - 5, new JwtUtils.UserClaim(accPub)
        .pub(new JwtUtils.Permission().allow("none.>")).sub(new JwtUtils.Permission().allow("svc.gw-1.>")).resp(new JwtUtils.ResponsePermission().maxMsgs(1).expires(Duration.ofMinutes(1))));
    String qJwt = JwtUtils.issueUserJWT(acc, pub(q), "req", null, now - 5, new JwtUtils.UserClaim(accPub)
        .pub(new JwtUtils.Permission().allow("svc.gw-1.>")).sub(new JwtUtils.Permission().allow("_INBOX.gw-1.>")));
    Files.writeString(Path.of("jwt.conf"), "listen: 127.0.0.1:" + port + "\noperator: " + Path.of("op.jwt").toAbsolutePath() + "\nsystem_account: " + sysPub
        + "\nresolver: MEMORY\nresolver_preload: {\n " + accPub + ": \"" + accJwt + "\"\n " + sysPub + ": \"" + sysJwt + "\"\n}\n");
    Files.deleteIfExists(log);
    server = new ProcessBuilder("nats-server", "-c", "jwt.conf").redirectErrorStream(true).redirectOutput(log.toFile()).start();
    while (!logCount("Server is ready", 0)) Thread.sleep(5);
    try {
      Connection cr = Nats.connect(new Options.Builder().server(url).noReconnect().authHandler(Nats.staticCredentials(rJwt.toCharArray(), r.getSeed()))
          .errorListener(new ErrorListener() { public void errorOccurred(Connection conn, String e) { System.out.println("  responder err: " + e); } }).build());
      Dispatcher d = cr.createDispatcher(m -> { cr.publish(m.getReplyTo(), "r1".getBytes()); cr.publish(m.getReplyTo(), "r2".getBytes()); });
      d.subscribe("svc.gw-1.ping"); cr.flush(Duration.ofSeconds(1));
      Connection cq = Nats.connect(new Options.Builder().server(url).noReconnect().inboxPrefix("_INBOX.gw-1.").authHandler(Nats.staticCredentials(qJwt.toCharArray(), q.getSeed())).build());
      Subscription in = cq.subscribe("_INBOX.gw-1.manual");
      cq.publish("svc.gw-1.ping", "_INBOX.gw-1.manual", "q".getBytes());
      Message m1 = in.nextMessage(Duration.ofSeconds(1)), m2 = in.nextMessage(Duration.ofMillis(300));
      System.out.println("JWT reply 1: " + (m1 == null ? null : new String(m1.getData())) + ", reply 2 (max 1): " + (m2 == null ? null : new String(m2.getData())));
      System.out.println("JWT request with inbox prefix: " + new String(cq.request("svc.gw-1.ping", "q".getBytes(), Duration.ofSeconds(1)).getData()));
      cr.publish("fw.other", "x".getBytes()); cr.flush(Duration.ofSeconds(1)); Thread.sleep(200);
      Connection cq2 = Nats.connect(new Options.Builder().server(url).noReconnect().authHandler(Nats.staticCredentials(qJwt.toCharArray(), q.getSeed()))
          .errorListener(new ErrorListener() { public void errorOccurred(Connection conn, String e) { System.out.println("  default-inbox requester err: " + e); } }).build());
      try { System.out.println("JWT default _INBOX request: reply " + cq2.request("svc.gw-1.ping", "q".getBytes(), Duration.ofMillis(700))); }
      catch (Exception ex) { System.out.println("JWT default _INBOX request: " + ex.getClass().getSimpleName()); }
      Thread.sleep(200);
    } finally { stop(); }
  }

  public static void main(String[] a) throws Exception {
    port = Integer.parseInt(a[0]); url = "nats://127.0.0.1:" + port;
    String mode = a.length > 1 ? a[1] : "global";
    for (String d : new String[]{"js"}) { Path p = Path.of(d); if (Files.exists(p)) try (var w = Files.walk(p)) { w.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete()); } }
    switch (mode) {
      case "global" -> { accounts = false; functional(); }
      case "accounts" -> { accounts = true; functional(); }
      case "jwt" -> jwt();
      case "scale" -> { accounts = a.length > 2 && a[2].equals("accounts"); for (int n : new int[]{10, 1000, 10000}) scale(n, Math.min(n, 100)); }
    }
    System.exit(0);
  }
}
