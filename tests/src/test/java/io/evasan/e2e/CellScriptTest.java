package io.evasan.e2e;

import io.evasan.deploy.FreePorts;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code deploy/cell.sh}, the one command that starts the clustered cell: both controller processes come up (one
 * leads, one follows), {@code status} says which, {@code drill kill A} makes B take over, {@code drill start A}
 * brings A back as follower, and a SIGTERM to the script stops both processes.
 */
class CellScriptTest {
    static final Path ROOT = Path.of("..").toAbsolutePath().normalize();

    @TempDir
    Path dir;

    private static String run(Path data, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("bash", ROOT.resolve("deploy/cell.sh").toString()));
        cmd.addAll(List.of(args));
        cmd.add(data.toString());
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().put("EVASAN_APPLIANCE_CLASSPATH", System.getProperty("java.class.path"));
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes());
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "cell.sh " + String.join(" ", args));
        System.out.println("cell.sh " + String.join(" ", args) + " -> exit " + p.exitValue() + "\n" + out);
        return "exit " + p.exitValue() + "\n" + out;
    }

    private static void awaitIn(Path file, String text, long millis) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
        while (System.nanoTime() - deadline < 0) {
            if (Files.exists(file) && Files.readString(file).contains(text)) {
                return;
            }
            Thread.sleep(50);
        }
        throw new AssertionError("no \"" + text + "\" in " + file + " within " + millis + " ms:\n"
                + (Files.exists(file) ? Files.readString(file) : "(missing)"));
    }

    @Test
    void shouldStartBothControllersDrillThemAndStopBoth() throws Exception {
        Path data = dir.resolve("cell");
        int iscsi = FreePorts.freePortBlock(4);
        int mgmt = FreePorts.freePort();
        while (mgmt >= iscsi && mgmt < iscsi + 4) {
            mgmt = FreePorts.freePort();
        }
        ProcessBuilder pb = new ProcessBuilder("bash", ROOT.resolve("deploy/cell.sh").toString(), "--data-dir",
                data.toString(), "--iscsi-port", Integer.toString(iscsi), "--mgmt-port", Integer.toString(mgmt),
                "--cluster", "evasan-script-" + ProcessHandle.current().pid(), "--first-lun-size", "16777216")
                .redirectErrorStream(true).redirectOutput(dir.resolve("cell.out").toFile());
        pb.environment().put("EVASAN_APPLIANCE_CLASSPATH", System.getProperty("java.class.path"));
        Process cell = pb.start();
        try {
            awaitIn(data.resolve("nsc-a.out"), "proc-a: leads the cell", 120_000);
            awaitIn(data.resolve("nsc-b.out"), "proc-b: follows proc-a", 120_000);
            String status = run(data, "status");
            assertTrue(status.contains("controller A: pid") && status.contains("leader"), status);
            assertTrue(status.contains("controller B: pid") && status.contains("follower"), status);

            run(data, "drill", "kill", "A");
            awaitIn(data.resolve("nsc-b.out"), "took over as leader", 30_000);
            status = run(data, "status");
            assertTrue(status.contains("controller A: not running"), status);
            assertTrue(status.contains("controller B: pid") && status.contains("leader"), status);

            run(data, "drill", "start", "A");
            awaitIn(data.resolve("nsc-a.out"), "proc-a: follows proc-b", 120_000);
            status = run(data, "status");
            assertTrue(status.contains("controller A: pid") && status.contains("follower"), status);
        } finally {
            new ProcessBuilder("kill", "-TERM", Long.toString(cell.pid())).start().waitFor();
            assertTrue(cell.waitFor(60, TimeUnit.SECONDS), "cell.sh stops on SIGTERM");
        }
        assertEquals(0, cell.exitValue(), Files.readString(dir.resolve("cell.out")));
        for (String n : List.of("a", "b")) {
            long pid = Long.parseLong(Files.readString(data.resolve("nsc-" + n + ".pid")).trim());
            assertTrue(ProcessHandle.of(pid).map(h -> !h.isAlive()).orElse(true), "controller " + n + " stopped");
        }
        String out = Files.readString(dir.resolve("cell.out"));
        assertTrue(out.contains("evasan-cell: stopped"), out);
    }
}
