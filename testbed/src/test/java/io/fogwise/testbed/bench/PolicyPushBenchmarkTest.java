package io.fogwise.testbed.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.fogwise.rules.host.RuleSet;
import io.fogwise.rules.source.RuleSource;
import io.fogwise.policy.PolicyBundle;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The policy-push benchmark's arithmetic, its jcmd parsing and its generated bundle; no timing. */
class PolicyPushBenchmarkTest {
  /** GC.heap_info of a SerialGC JVM (JDK 17), as printed by jcmd. */
  private static final String SERIAL_HEAP_INFO = """
      21289:
       def new generation   total 116224K, used 1024K [0x00000000e8000000, 0x00000000efe10000, 0x00000000f0000000)
        eden space 103360K,   0% used [0x00000000e8000000, 0x00000000e8000000, 0x00000000ee4f0000)
        from space 12864K,   0% used [0x00000000ee4f0000, 0x00000000ee4f0000, 0x00000000ef180000)
        to   space 12864K,   0% used [0x00000000ef180000, 0x00000000ef180000, 0x00000000efe10000)
       tenured generation   total 258048K, used 2242K [0x00000000f0000000, 0x00000000ffc00000, 0x0000000100000000)
         the space 258048K,   0% used [0x00000000f0000000, 0x00000000f02309f0, 0x00000000f0230a00, 0x00000000ffc00000)
       Metaspace       used 8966K, committed 9216K, reserved 1114112K
        class space    used 1062K, committed 1152K, reserved 1048576K
      """;

  private static final String G1_HEAP_INFO = """
      4242:
       garbage-first heap   total 262144K, used 20480K [0x00000000f0000000, 0x0000000100000000)
        region size 1024K, 3 young (3072K), 0 survivors (0K)
       Metaspace       used 50000K, committed 50560K, reserved 1097728K
        class space    used 6000K, committed 6272K, reserved 1048576K
      """;

  private static final String METASPACE_INFO = """
      21289:

      Total Usage - 36 loaders, 2493 classes (909 shared):
        Non-Class:  269 chunks,     10.13 MB capacity,    7.82 MB ( 77%) committed
      """;

  @Test
  void theFloorIsTheCompileCpuOfEveryGatewaySharedByTheCores() {
    assertEquals(2000.0, PolicyPushBenchmark.floorMs(200, 20, 2));
    assertEquals(4000.0, PolicyPushBenchmark.floorMs(200, 20, 1));
    assertEquals(1.5, PolicyPushBenchmark.ratio(3000, 2000.0));
    assertEquals(Double.POSITIVE_INFINITY, PolicyPushBenchmark.ratio(10, 0));
    assertThrows(IllegalArgumentException.class, () -> PolicyPushBenchmark.floorMs(200, 20, 0));
  }

  @Test
  void growthIsInMegabytesAndMayBeNegative() {
    assertEquals(5.0, PolicyPushBenchmark.growthMb(10_240, 15_360));
    assertEquals(-1.0, PolicyPushBenchmark.growthMb(2048, 1024));
  }

  @Test
  void heapIsTheSumOfTheGenerationsAndMetaspaceIsNotHeap() {
    JvmMemory m = JvmMemory.parse(SERIAL_HEAP_INFO, METASPACE_INFO);
    assertEquals(1024 + 2242, m.heapUsedKb());
    assertEquals(8966, m.metaspaceUsedKb());
    assertEquals(36, m.classLoaders());
    assertEquals(2493, m.classes());
  }

  @Test
  void aG1HeapIsReadToo() {
    JvmMemory m = JvmMemory.parse(G1_HEAP_INFO, "");
    assertEquals(20480, m.heapUsedKb());
    assertEquals(50000, m.metaspaceUsedKb());
    assertEquals(-1, m.classLoaders());
  }

  @Test
  void outputWithoutFiguresIsAnError() {
    assertThrows(IllegalArgumentException.class, () -> JvmMemory.parse("4242:\nCommand executed successfully\n", ""));
  }

  @Test
  void everyPushSendsTwentyRulesThatDifferFromThePreviousPush() {
    List<PolicyBundle.RuleFile> a = PushBundles.bundle(41);
    List<PolicyBundle.RuleFile> b = PushBundles.bundle(42);
    assertEquals(PushBundles.FILES, a.size());
    long rules = a.stream().mapToLong(f -> f.drl().lines().filter(l -> l.startsWith("rule ")).count()).sum();
    assertEquals(20, rules);
    for (int i = 0; i < a.size(); i++) {
      assertEquals(a.get(i).fileName(), b.get(i).fileName());
      assertNotEquals(a.get(i).drl(), b.get(i).drl(), a.get(i).fileName());
    }
    assertEquals(a.get(0).fileName(), PushBundles.firstFile(7).fileName());
  }

  @Test
  void theGeneratedBundleCompilesInTheSandbox() throws Exception {
    List<RuleSource> sources = PushBundles.bundle(123).stream().map(f -> new RuleSource(f.fileName(), f.drl())).toList();
    RuleSet.compile("bench", sources);
  }
}
