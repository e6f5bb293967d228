package io.evasan.sanhost;

import io.evasan.fabric.switching.Wwn;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import java.io.BufferedReader;
import java.io.File;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static io.evasan.sanhost.SanhostTest.*;
import static org.junit.jupiter.api.Assertions.*;

/**
 * sanhost as its own process (sanhost.sh, as a user runs it) with two HBAs: eight paths to the
 * cell's LU, qemu-io through it while a target port's cable is pulled, and {@code sanhost.sh
 * paths} (another process) showing the failed paths; SIGTERM stops it.
 */
class SanhostProcessTest {
    static final String HOST_1 = "10:00:00:00:c9:aa:01:01";
    static final String HOST_2 = "10:00:00:00:c9:aa:01:02";
    static final Path SCRIPT = Path.of("sanhost.sh").toAbsolutePath();

    static ProcessBuilder script(String... args) {
        List<String> cmd = new java.util.ArrayList<>(List.of(SCRIPT.toString()));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().put("EVASAN_SANHOST_CLASSPATH", System.getProperty("java.class.path"));
        return pb;
    }

    static String pathsProcess(int controlPort) throws Exception {
        Process p = script("paths", "--control-port", String.valueOf(controlPort)).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(20, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), out);
        return out;
    }

    @Test
    void shouldRunAsItsOwnProcessWithTwoHbasAndShowEveryPath() throws Exception {
        Assumptions.assumeTrue(new File("/usr/bin/qemu-io").canExecute(), "qemu-io not installed");
        try (SanCell cell = new SanCell(Wwn.parse(HOST_1), Wwn.parse(HOST_2))) {
            Process host = script("--fabric", cell.fabricAddress(), "--wwpn", HOST_1, "--wwpn", HOST_2.replace(":", ""),
                    "--nbd-port", "0", "--control-port", "0", "--io-timeout-ms", "2000").start();
            try {
                BufferedReader r = new BufferedReader(new InputStreamReader(host.getInputStream(), StandardCharsets.UTF_8));
                StringBuilder log = new StringBuilder();
                CompletableFuture<int[]> ports = new CompletableFuture<>();
                Thread reader = new Thread(() -> {
                    Pattern at = Pattern.compile("nbd on 127.0.0.1:(\\d+) control on 127.0.0.1:(\\d+)");
                    try {
                        for (String l; (l = r.readLine()) != null; ) {
                            synchronized (log) {
                                log.append(l).append('\n');
                            }
                            Matcher m = at.matcher(l);
                            if (m.find()) {
                                ports.complete(new int[] {Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2))});
                            }
                        }
                    } catch (Exception e) {
                        // the process ended
                    }
                    ports.completeExceptionally(new AssertionError("sanhost ended: " + log));
                });
                reader.setDaemon(true);
                reader.start();
                int[] p = ports.get(25, TimeUnit.SECONDS);
                String view = pathsProcess(p[1]);
                assertEquals(8, view.lines().filter(l -> l.contains(" -> ")).count(), view);
                assertEquals(4, view.lines().filter(l -> l.contains(" hba1 ") && l.contains(" -> ")).count(), view);
                assertTrue(view.contains("hba1 10:00:00:00:c9:aa:01:02 port "), view);

                String out = qemuIoWithFault(p[0], writes(0, 48), 6, () -> cell.cut(1));
                assertAllDone(out, "wrote", 48);
                assertAllDone(qemuIo(p[0], verifies(0, 48)), "read", 48);
                view = pathsProcess(p[1]);
                assertEquals(2, view.lines().filter(l -> l.contains(" rtp=2 ") && l.contains("failed faulty")).count(), view);
                assertEquals(6, view.lines().filter(l -> l.contains("active ready")).count(), view);
                System.out.println(view);
            } finally {
                host.destroy();
                assertTrue(host.waitFor(20, TimeUnit.SECONDS), "SIGTERM stops sanhost");
            }
        }
    }
}
