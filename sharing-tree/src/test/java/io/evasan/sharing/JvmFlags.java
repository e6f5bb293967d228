package io.evasan.sharing;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The JVM flags every evasan JVM runs with, for child JVMs started by tests: they live in one place, the
 * java argument file {@code jvm.flags} at the repository root (also read by appliance.sh, sanctl and
 * Surefire's argLine; deploy/README.md, "Build and run"). Add {@link #ARG_FILE} to the child's command line.
 */
final class JvmFlags {
    /** {@code "@<repo>/jvm.flags"}: the java launcher expands it into the flags. */
    static final String ARG_FILE = "@" + file();

    private JvmFlags() {
    }

    /** Surefire passes the path as {@code evasan.jvm.flags.file}; else (an IDE run) the nearest one up from here. */
    private static String file() {
        String f = System.getProperty("evasan.jvm.flags.file");
        if (f != null && !f.isBlank()) {
            return f;
        }
        for (Path d = Path.of("").toAbsolutePath(); d != null; d = d.getParent()) {
            if (Files.isRegularFile(d.resolve("jvm.flags"))) {
                return d.resolve("jvm.flags").toString();
            }
        }
        throw new IllegalStateException("jvm.flags not found above " + Path.of("").toAbsolutePath()
                + " (set -Devasan.jvm.flags.file=<repo>/jvm.flags)");
    }
}
