package io.evasan.mgmt.cli;

import io.evasan.raid.JvmFlags;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * sanctl as its own process ({@code Sanctl.main}, as the ./sanctl launcher runs it) against a running
 * appliance: the exit status the shell sees, stdout and stderr kept apart, SANCTL_URL / SANCTL_TOKEN
 * taken from the real environment.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class SanctlProcessTest extends CliTest {
    private CliFixture.Run run(String url, String token, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), JvmFlags.ARG_FILE,
                "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Xmx64m", "-cp", System.getProperty("java.class.path"),
                Sanctl.class.getName()));
        cmd.addAll(List.of(args));
        Path out = Files.createTempFile(f.dir, "out", ".txt");
        Path err = Files.createTempFile(f.dir, "err", ".txt");
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectOutput(out.toFile()).redirectError(err.toFile());
        pb.environment().remove("SANCTL_URL");
        pb.environment().remove("SANCTL_TOKEN");
        pb.environment().put("SANCTL_URL", url);
        if (token != null) {
            pb.environment().put("SANCTL_TOKEN", token);
        }
        Process p = pb.start();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "sanctl did not finish");
        return new CliFixture.Run(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8), Files.readString(err, StandardCharsets.UTF_8));
    }

    @Test
    void shouldExitWithTheDocumentedStatusAsAProcess() throws Exception {
        CliFixture.Run r = run(f.url(), f.token, "lun", "create", "proc1", "--size", "16M");
        assertEquals(0, r.exit(), r::toString);
        assertTrue(r.out().startsWith("created LUN proc1\n"), r::toString);
        assertTrue(r.out().contains("\nsize:          16 MiB (16777216 bytes)\n"), r::toString);
        assertEquals("", r.err());
        r = run(f.url(), f.token, "lun", "show", "nosuch");
        assertEquals(1, r.exit(), r::toString);
        assertEquals("", r.out());
        assertEquals("sanctl: 404 no LUN named 'nosuch' (field name)\n", r.err());

        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        r = run("http://127.0.0.1:" + port, f.token, "pool", "show");
        assertEquals(3, r.exit(), r::toString);
        assertEquals("sanctl: cannot reach http://127.0.0.1:" + port + ": connection refused\n", r.err());
    }
}
