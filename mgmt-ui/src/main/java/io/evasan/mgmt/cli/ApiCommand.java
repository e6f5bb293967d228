package io.evasan.mgmt.cli;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.function.Consumer;

/**
 * Base of every leaf command: the client from the global options, the output writer, and helpers to
 * print an answer verbatim ({@code --json}) or as text. Invariant: a command that returns normally
 * exits 0; refusals and connection failures leave as exceptions mapped to exit codes by {@link Sanctl}.
 */
abstract class ApiCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    private ApiClient client;

    Sanctl root() {
        return (Sanctl) spec.root().userObject();
    }

    ApiClient api() {
        if (client == null) {
            client = root().client(spec.commandLine());
        }
        return client;
    }

    PrintWriter out() {
        return spec.commandLine().getOut();
    }

    boolean json() {
        return root().json();
    }

    @Override
    public final Integer call() {
        run();
        out().flush();
        return 0;
    }

    abstract void run();

    /** Prints an answer body verbatim (nothing for an empty body), ending with one newline. */
    void raw(String body) {
        String b = body == null ? "" : body.strip();
        if (!b.isEmpty()) {
            out().println(b);
        }
    }

    void raw(ApiClient.Response r) {
        raw(r.body());
    }

    /**
     * Prints an answer: with {@code --json} its body verbatim (nothing for an empty body) and nothing else;
     * otherwise {@code header} on its own line (when not null), then whatever {@code text} prints for it.
     */
    void reply(String header, ApiClient.Response r, Consumer<ApiClient.Response> text) {
        if (json()) {
            raw(r);
            return;
        }
        if (header != null) {
            out().println(header);
        }
        text.accept(r);
    }

    /** An answer whose text form is the one line {@code line}: with {@code --json} its body verbatim instead. */
    void reply(ApiClient.Response r, String line) {
        reply(line, r, x -> {
        });
    }

    /** Prints "key:  value" lines, keys padded to the longest; null values print as "-". */
    void fields(Object... keyValues) {
        int w = 0;
        for (int i = 0; i < keyValues.length; i += 2) {
            w = Math.max(w, String.valueOf(keyValues[i]).length() + 1);
        }
        for (int i = 0; i < keyValues.length; i += 2) {
            String k = keyValues[i] + ":";
            Object v = keyValues[i + 1];
            out().println(k + " ".repeat(w - k.length() + 2) + (v == null ? "-" : v));
        }
    }

    /** The query string of a destructive request: {@code ?force=true} when forced, else none. */
    static String forced(boolean force) {
        return force ? "?force=true" : "";
    }

    static String str(JsonObject o, String key) {
        Object v = o == null ? null : o.getValue(key);
        return v == null ? null : String.valueOf(v);
    }

    static long num(JsonObject o, String key) {
        Object v = o == null ? null : o.getValue(key);
        return v instanceof Number n ? n.longValue() : 0;
    }

    static List<JsonObject> objects(JsonArray a) {
        List<JsonObject> l = new ArrayList<>();
        if (a != null) {
            for (int i = 0; i < a.size(); i++) {
                l.add(a.getJsonObject(i));
            }
        }
        return l;
    }

    /** {@link #flat} of field {@code key}; a number in a field named "...Bytes" also as a size: "16 MiB (16777216 bytes)". */
    static String flat(String key, Object v) {
        if (key.endsWith("Bytes") && v instanceof Number n) {
            return Units.formatSize(n.longValue()) + " (" + n.longValue() + " bytes)";
        }
        return flat(v);
    }

    /** A JSON value on one line: objects as "k=v, k=v", arrays as "a, b", null as "-". */
    static String flat(Object v) {
        if (v == null) {
            return "-";
        }
        if (v instanceof JsonObject o) {
            List<String> l = new ArrayList<>();
            for (String k : o.fieldNames()) {
                l.add(k + "=" + flat(o.getValue(k)));
            }
            return l.isEmpty() ? "-" : String.join(", ", l);
        }
        if (v instanceof JsonArray a) {
            return joined(a);
        }
        return String.valueOf(v);
    }

    static String joined(JsonArray a) {
        if (a == null || a.isEmpty()) {
            return "-";
        }
        List<String> l = new ArrayList<>();
        a.forEach(x -> l.add(flat(x)));
        return String.join(", ", l);
    }
}
