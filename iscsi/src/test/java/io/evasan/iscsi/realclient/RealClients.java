package io.evasan.iscsi.realclient;

import io.evasan.iscsi.IscsiTargetConfig;
import io.evasan.iscsi.IscsiTargetServer;
import io.evasan.scsi.lu.impl.MemoryLogicalUnit;
import io.evasan.scsi.lu.impl.PresentationTable;
import io.evasan.scsi.target.impl.DiskTarget;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Helpers for tests that drive real, independent initiators (libiscsi tools, qemu) against our
 * target over the scsi module's executor. A missing tool fails the test when CI=true and skips it
 * otherwise.
 */
public final class RealClients {
    static final String IQN = "iqn.2026-01.io.evasan:real";

    private RealClients() {
    }

    /** A running target: server + executor + its thin in-memory LUN 0. */
    record Fixture(IscsiTargetServer server, DiskTarget target, MemoryLogicalUnit lu, int port) implements AutoCloseable {
        String url(int lun) {
            return "iscsi://127.0.0.1:" + port + "/" + IQN + "/" + lun;
        }

        @Override
        public void close() {
            server.stop();
            target.close();
        }
    }

    static Fixture start(long lunBytes, IscsiTargetConfig cfg) {
        PresentationTable table = new PresentationTable();
        MemoryLogicalUnit lu = MemoryLogicalUnit.ofBytes("lun0", lunBytes);
        table.present(PresentationTable.ALL, 0, lu);
        DiskTarget target = new DiskTarget(table);
        cfg.port(0).addTarget(IQN, "evasan-real", target);
        IscsiTargetServer server = new IscsiTargetServer(cfg);
        int port = server.start();
        return new Fixture(server, target, lu, port);
    }

    static boolean ci() {
        return "true".equalsIgnoreCase(System.getenv("CI"));
    }

    /** Ensures the tool is installed: fails in CI, skips locally. */
    public static void requireTool(String name) {
        for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin:/bin").split(File.pathSeparator)) {
            if (new File(dir, name).canExecute()) {
                return;
            }
        }
        String msg = name + " not installed (Debian packages libiscsi-bin, qemu-utils, qemu-block-extra)";
        if (ci()) {
            Assertions.fail(msg + " — required in CI");
        }
        Assumptions.abort(msg);
    }

    /** Result of a finished process. */
    public record Run(int exit, String output) {
    }

    public static Run run(long timeoutSeconds, String... cmd) throws IOException, InterruptedException {
        return run(timeoutSeconds, null, cmd);
    }

    public static Run run(long timeoutSeconds, Path log, String... cmd) throws IOException, InterruptedException {
        List<String> c = new ArrayList<>(List.of(cmd));
        Path out = log != null ? log : Files.createTempFile("realclient", ".log");
        Files.createDirectories(out.toAbsolutePath().getParent());
        Process p = new ProcessBuilder(c).redirectErrorStream(true).redirectOutput(out.toFile()).start();
        boolean done = p.waitFor(timeoutSeconds, TimeUnit.SECONDS);
        if (!done) {
            p.destroyForcibly();
            p.waitFor(5, TimeUnit.SECONDS);
        }
        String text = new String(Files.readAllBytes(out), StandardCharsets.UTF_8); // lenient: tools print raw designator bytes
        if (log == null) {
            Files.deleteIfExists(out);
        }
        return new Run(done ? p.exitValue() : -1, text);
    }
}
