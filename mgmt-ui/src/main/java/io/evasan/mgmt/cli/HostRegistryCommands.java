package io.evasan.mgmt.cli;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code sanctl host create|show|update|delete|registered}: the host registry (POST/GET/PATCH/DELETE /api/hosts[/{name}]).
 * CHAP secrets are read from files (never from the command line, where {@code ps} would show them) and are
 * never printed: the API does not return them.
 */
final class HostRegistryCommands {
    private HostRegistryCommands() {
    }

    static String path(String name) {
        return "/api/hosts/" + ApiClient.seg(name);
    }

    static String chap(JsonObject h) {
        JsonObject c = h.getJsonObject("chap");
        if (c == null) {
            return "none";
        }
        String s = (c.getBoolean("mutual", false) ? "mutual, user " : "user ") + ApiCommand.str(c, "userName");
        if (c.getValue("targetUserName") != null) {
            s += ", target user " + ApiCommand.str(c, "targetUserName");
        }
        return c.getBoolean("enforced", true) ? s : s + " (not enforced: no iSCSI target attached)";
    }

    static void print(ApiCommand cmd, JsonObject h) {
        cmd.out().println("host " + ApiCommand.str(h, "name") + ", CHAP: " + chap(h));
        Table t = new Table("INITIATOR", "HOST LUN>", "LUN");
        for (JsonObject i : ApiCommand.objects(h.getJsonArray("initiators"))) {
            List<JsonObject> luns = ApiCommand.objects(i.getJsonArray("luns"));
            if (luns.isEmpty()) {
                t.row(ApiCommand.str(i, "initiator"), "-", "-");
            }
            for (JsonObject l : luns) {
                t.row(ApiCommand.str(i, "initiator"), ApiCommand.num(l, "hostLun"), ApiCommand.str(l, "lun"));
            }
        }
        t.print(cmd.out(), "no initiators");
    }

    @Command(name = "create", description = "Register a host: its initiator names and optional CHAP credentials, which the "
            + "iSCSI target then demands from each of its initiators.")
    static final class Create extends ApiCommand {
        @Parameters(index = "0", paramLabel = "NAME", description = "Host name.")
        String name;

        @Option(names = {"-i", "--initiator"}, required = true, paramLabel = "IQN",
                description = "An initiator name of the host (repeat for several).")
        List<String> initiators = new ArrayList<>();

        @Option(names = "--chap-user", paramLabel = "USER", description = "CHAP user name the initiators answer with.")
        String chapUser;

        @Option(names = "--chap-secret-file", paramLabel = "FILE",
                description = "File holding the CHAP secret (12..255 characters; one line, trailing newline ignored).")
        Path chapSecretFile;

        @Option(names = "--target-user", paramLabel = "USER", description = "Mutual CHAP: the name the target answers with.")
        String targetUser;

        @Option(names = "--target-secret-file", paramLabel = "FILE", description = "Mutual CHAP: file holding the target's secret.")
        Path targetSecretFile;

        @Override
        void run() {
            if ((chapUser == null) != (chapSecretFile == null)) {
                throw new ParameterException(spec.commandLine(), "--chap-user and --chap-secret-file go together");
            }
            if ((targetUser == null) != (targetSecretFile == null)) {
                throw new ParameterException(spec.commandLine(), "--target-user and --target-secret-file go together");
            }
            if (targetUser != null && chapUser == null) {
                throw new ParameterException(spec.commandLine(), "mutual CHAP (--target-user) needs --chap-user too");
            }
            JsonObject body = new JsonObject().put("name", name).put("initiators", new JsonArray(List.copyOf(initiators)));
            if (chapUser != null) {
                JsonObject c = new JsonObject().put("userName", chapUser).put("secret", secret(this, chapSecretFile, "--chap-secret-file"));
                if (targetUser != null) {
                    c.put("targetUserName", targetUser).put("targetSecret", secret(this, targetSecretFile, "--target-secret-file"));
                }
                body.put("chap", c);
            }
            reply(null, api().post("/api/hosts", body), r -> {
                out().print("created ");
                print(this, r.object());
            });
        }
    }

    /** A secret read from {@code file} (one line; a trailing newline is dropped). A missing file is a usage error. */
    static String secret(ApiCommand cmd, Path file, String option) {
        try {
            String s = Files.readString(file, StandardCharsets.UTF_8);
            return s.endsWith("\r\n") ? s.substring(0, s.length() - 2) : s.endsWith("\n") ? s.substring(0, s.length() - 1) : s;
        } catch (IOException e) {
            throw new ParameterException(cmd.spec.commandLine(), "cannot read " + option + " " + file + ": " + e.getMessage());
        }
    }

    @Command(name = "update", description = "Edit a registered host: replace its initiators (the LUNs presented to the host "
            + "move with them), rotate or set its CHAP secret and user, switch mutual CHAP on or off, or end CHAP. Options "
            + "not given stay as they are.")
    static final class Update extends ApiCommand {
        @Parameters(index = "0", paramLabel = "NAME", description = "Host name.")
        String name;

        @Option(names = {"-i", "--initiator"}, paramLabel = "IQN",
                description = "The host's initiator names from now on (repeat for several; replaces the list).")
        List<String> initiators = new ArrayList<>();

        @Option(names = "--chap-user", paramLabel = "USER", description = "New CHAP user name of the initiators.")
        String chapUser;

        @Option(names = "--chap-secret-file", paramLabel = "FILE",
                description = "File holding the new CHAP secret (12..255 characters; one line, trailing newline ignored).")
        Path chapSecretFile;

        @Option(names = "--clear-chap", description = "End CHAP for this host (mutual CHAP too): its initiators log in without it.")
        boolean clearChap;

        @Option(names = "--target-user", paramLabel = "USER", description = "Mutual CHAP: the name the target answers with.")
        String targetUser;

        @Option(names = "--target-secret-file", paramLabel = "FILE",
                description = "Mutual CHAP: file holding the target's new secret (must differ from the CHAP secret).")
        Path targetSecretFile;

        @Option(names = "--clear-mutual-chap", description = "End mutual CHAP (the initiators' CHAP secret stays).")
        boolean clearMutual;

        @Override
        void run() {
            boolean chapGiven = chapUser != null || chapSecretFile != null;
            boolean targetGiven = targetUser != null || targetSecretFile != null;
            if (clearChap && (chapGiven || targetGiven || clearMutual)) {
                throw new ParameterException(spec.commandLine(), "--clear-chap cannot be combined with other CHAP options");
            }
            if (clearMutual && targetGiven) {
                throw new ParameterException(spec.commandLine(),
                        "--clear-mutual-chap cannot be combined with --target-user or --target-secret-file");
            }
            if (initiators.isEmpty() && !chapGiven && !targetGiven && !clearChap && !clearMutual) {
                throw new ParameterException(spec.commandLine(), "nothing to change: give --initiator, --chap-user, "
                        + "--chap-secret-file, --clear-chap, --target-user, --target-secret-file or --clear-mutual-chap");
            }
            JsonObject body = new JsonObject();
            if (!initiators.isEmpty()) {
                body.put("initiators", new JsonArray(List.copyOf(initiators)));
            }
            if (clearChap) {
                body.putNull("chap");
            } else if (chapGiven || targetGiven || clearMutual) {
                JsonObject c = new JsonObject();
                if (chapUser != null) {
                    c.put("userName", chapUser);
                }
                if (chapSecretFile != null) {
                    c.put("secret", secret(this, chapSecretFile, "--chap-secret-file"));
                }
                if (targetUser != null) {
                    c.put("targetUserName", targetUser);
                }
                if (targetSecretFile != null) {
                    c.put("targetSecret", secret(this, targetSecretFile, "--target-secret-file"));
                }
                if (clearMutual) {
                    c.putNull("targetUserName").putNull("targetSecret");
                }
                body.put("chap", c);
            }
            reply(null, api().patch(path(name), body), r -> {
                out().print("updated ");
                print(this, r.object());
            });
        }
    }

    @Command(name = "show", description = "One registered host: its initiators, the LUNs presented to them, its CHAP user.")
    static final class Show extends ApiCommand {
        @Parameters(index = "0", paramLabel = "NAME", description = "Host name.")
        String name;

        @Override
        void run() {
            reply(null, api().get(path(name)), x -> print(this, x.object()));
        }
    }

    @Command(name = "delete", description = "Delete a host (its initiators lose their LUN presentations and no longer need CHAP).")
    static final class Delete extends ApiCommand {
        @Parameters(index = "0", paramLabel = "NAME", description = "Host name.")
        String name;

        @Override
        void run() {
            reply(api().delete(path(name)), "deleted host " + name);   // 204: --json prints nothing
        }
    }

    @Command(name = "registered", description = "The registered hosts: name, initiators, CHAP.")
    static final class Registered extends ApiCommand {
        @Override
        void run() {
            reply(null, api().get("/api/hosts"), r -> {
                Table t = new Table("HOST", "INITIATORS", "CHAP");
                for (JsonObject h : objects(r.object().getJsonArray("hosts"))) {
                    List<String> is = new ArrayList<>();
                    for (JsonObject i : objects(h.getJsonArray("initiators"))) {
                        is.add(str(i, "initiator"));
                    }
                    t.row(str(h, "name"), String.join(",", is), chap(h));
                }
                t.print(out(), "no registered hosts");
            });
        }
    }
}
