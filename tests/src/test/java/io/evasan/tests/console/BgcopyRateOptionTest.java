package io.evasan.tests.console;

import io.evasan.deploy.Appliance;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The launcher's {@code --bgcopy-rate}: a negative rate is refused before anything is created; a valid one starts. */
class BgcopyRateOptionTest {
    @TempDir
    Path dir;

    @Test
    void shouldRefuseANegativeRateBeforeCreatingAnything() {
        StringWriter err = new StringWriter();
        Path data = dir.resolve("data");
        int rc = new CommandLine(new Appliance()).setErr(new PrintWriter(err))
                .execute("--bgcopy-rate=-1", "--data-dir=" + data, "--status");
        assertEquals(2, rc, err.toString());
        assertTrue(err.toString().contains("--bgcopy-rate must be 0 (unlimited) or a positive number"), err.toString());
        assertFalse(Files.exists(data), "nothing created for a refused command line");
    }

    @Test
    void shouldStartWithAThrottle() {
        Path data = dir.resolve("data");
        int rc = new CommandLine(new Appliance()).execute("--bgcopy-rate=1048576", "--data-dir=" + data, "--status",
                "--first-lun-size=16777216");
        assertEquals(0, rc);
        assertTrue(Files.isDirectory(data));
    }
}
