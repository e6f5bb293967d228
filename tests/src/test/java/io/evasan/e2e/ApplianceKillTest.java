package io.evasan.e2e;

import io.evasan.deploy.EmbeddedAppliance;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Nothing lost: the appliance runs in a child JVM; qemu-io streams writes over iSCSI; the child is
 * killed with SIGKILL at a random moment; after restart every write qemu-io saw acknowledged
 * ("wrote ... at offset X") reads back with its pattern. Kill points per run:
 * {@code -Devasan.kills=N} (CI: 2; tests/scripts/crash-appliance.sh runs many more).
 *
 * <p>The oracle is a set of allowed fill bytes per 64 KiB slot: 0 for never written, the pattern of
 * the newest acknowledged write, plus the pattern of the one write qemu-io had in flight when the
 * appliance died (it may have landed wholly, partly or not at all: each 512-byte sector of that slot
 * may hold the old or the new fill). The whole LUN is read back with {@code qemu-img convert} and
 * every sector is checked, so a lost write, a write landing in the wrong place and stale data in a
 * never-written slot all fail.
 */
class ApplianceKillTest {
    private static final int LEN = 64 << 10;
    private static final int WRITES = 600;
    private static final long LUN_BYTES = 256L << 20;
    private static final Pattern ACK = Pattern.compile("^wrote (\\d+)/(\\d+) bytes at offset (\\d+)");

    @TempDir
    Path dir;

    @Test
    void shouldKeepEveryAcknowledgedWriteAcrossKill9() throws Exception {
        Clients.require("qemu-io", "qemu-img", "stdbuf");
        long seed = Long.getLong("evasan.seed", System.nanoTime());
        int kills = Integer.getInteger("evasan.kills", 2);
        System.out.println("ApplianceKillTest seed=" + seed + " kills=" + kills);
        Random rnd = new Random(seed);
        Path data = dir.resolve("data");
        // slot -> fill bytes a sector there may hold (absent: never written, only 0 allowed)
        Map<Integer, Set<Integer>> allowed = new HashMap<>();
        for (int round = 0; round < kills; round++) {
            ChildAppliance child = ChildAppliance.start(data, LUN_BYTES);
            String url = "iscsi://127.0.0.1:" + child.iscsiPort() + "/" + EmbeddedAppliance.DEFAULT_IQN + "/0";
            verify(url, allowed, "round " + round + " after restart (seed " + seed + ")");

            int base = 1 + (round * 37) % 200;
            List<String> cmds = new ArrayList<>();
            long[] offs = new long[WRITES];
            for (int i = 0; i < WRITES; i++) {
                offs[i] = (long) rnd.nextInt((int) (LUN_BYTES / LEN)) * LEN;
                cmds.add("write -P " + ((base + i) % 250 + 1) + " " + offs[i] + " " + LEN);
            }
            List<String> cmd = new ArrayList<>(List.of("stdbuf", "-oL", "qemu-io", "-f", "raw"));
            for (String c : cmds) {
                cmd.add("-c");
                cmd.add(c);
            }
            cmd.add(url);
            Process q = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            List<String> out = java.util.Collections.synchronizedList(new ArrayList<>());
            // kill when the k-th write is acknowledged: the workload is always still running
            int killAt = 20 + rnd.nextInt(WRITES / 2);
            CountDownLatch killPoint = new CountDownLatch(killAt);
            Thread reader = new Thread(() -> {
                try (BufferedReader r = new BufferedReader(new InputStreamReader(q.getInputStream(), StandardCharsets.UTF_8))) {
                    String l;
                    while ((l = r.readLine()) != null) {
                        out.add(l);
                        if (l.startsWith("wrote ")) {
                            killPoint.countDown();
                        }
                    }
                } catch (IOException ignored) {
                    // client gone
                }
            });
            reader.start();
            assertTrue(killPoint.await(180, TimeUnit.SECONDS), "fewer than " + killAt + " writes acknowledged: " + out);
            child.kill9();
            // qemu-io prints line-buffered; what it acknowledged before the kill is already read
            if (!q.waitFor(10, TimeUnit.SECONDS)) {
                q.destroyForcibly();
            }
            q.waitFor();
            reader.join(5000);
            int n = 0;
            synchronized (out) {
                for (String l : out) {
                    Matcher m = ACK.matcher(l);
                    if (m.find()) {
                        long off = Long.parseLong(m.group(3));
                        // qemu-io runs its -c commands in order; the k-th ack is the k-th command
                        assertEquals(offs[n], off, "acknowledgements out of order");
                        allowed.put((int) (off / LEN), new HashSet<>(Set.of((base + n) % 250 + 1)));
                        n++;
                    }
                }
            }
            if (n < WRITES) {
                // the write in flight at the kill: not acknowledged, so old and new fill are both correct
                allowed.computeIfAbsent((int) (offs[n] / LEN), k -> new HashSet<>(Set.of(0))).add((base + n) % 250 + 1);
            }
            System.out.println("round " + round + ": kill -9 at acknowledgement " + killAt + "; " + n + " of " + WRITES
                    + " writes acknowledged in all");
            assertTrue(n < WRITES, "the kill must land while writes are still being issued");
        }
        ChildAppliance last = ChildAppliance.start(data, LUN_BYTES);
        try {
            verify("iscsi://127.0.0.1:" + last.iscsiPort() + "/" + EmbeddedAppliance.DEFAULT_IQN + "/0", allowed, "final (seed " + seed + ")");
        } finally {
            last.stop();
        }
    }

    private void verify(String url, Map<Integer, Set<Integer>> allowed, String when) throws Exception {
        SlotImage.verify(dir.resolve("image.raw"), url, LUN_BYTES, LEN, allowed, when);
    }
}
