package io.evasan.mgmt.impl;

import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;

import java.math.BigInteger;
import java.util.Set;

/**
 * Strict reading of JSON request bodies: every failure is an {@link ApiError} 400 naming the field.
 * Invariant: a request that passes these checks has exactly the known fields with the right types.
 */
final class Json {
    private Json() {
    }

    static JsonObject body(RoutingContext ctx, Set<String> allowed) {
        if (ctx.body() == null || ctx.body().length() <= 0) {
            throw ApiError.badRequest("body", "a JSON object body is required");
        }
        JsonObject o;
        try {
            o = ctx.body().asJsonObject();
        } catch (RuntimeException e) {
            throw ApiError.badRequest("body", "body is not a JSON object: " + e.getMessage());
        }
        if (o == null) {
            throw ApiError.badRequest("body", "a JSON object body is required");
        }
        for (String k : o.fieldNames()) {
            if (!allowed.contains(k)) {
                throw ApiError.badRequest(k, "unknown field '" + k + "'; allowed: " + allowed);
            }
        }
        return o;
    }

    static String string(JsonObject o, String field) {
        Object v = o.getValue(field);
        if (v == null) {
            throw ApiError.badRequest(field, "field '" + field + "' is required");
        }
        if (!(v instanceof String s)) {
            throw ApiError.badRequest(field, "field '" + field + "' must be a string");
        }
        if (s.isEmpty()) {
            throw ApiError.badRequest(field, "field '" + field + "' must not be empty");
        }
        return s;
    }

    static long integer(JsonObject o, String field, long min, long max) {
        Object v = o.getValue(field);
        if (v == null) {
            throw ApiError.badRequest(field, "field '" + field + "' is required");
        }
        long n;
        if (v instanceof Integer || v instanceof Long || v instanceof Short || v instanceof Byte) {
            n = ((Number) v).longValue();
        } else if (v instanceof BigInteger) {
            throw ApiError.badRequest(field, "field '" + field + "' is out of range " + min + ".." + max);
        } else {
            throw ApiError.badRequest(field, "field '" + field + "' must be an integer");
        }
        if (n < min || n > max) {
            throw ApiError.badRequest(field, "field '" + field + "' = " + n + " is out of range " + min + ".." + max);
        }
        return n;
    }

    static boolean optionalBoolean(JsonObject o, String field, boolean dflt) {
        Object v = o.getValue(field);
        if (v == null) {
            return dflt;
        }
        if (!(v instanceof Boolean b)) {
            throw ApiError.badRequest(field, "field '" + field + "' must be true or false");
        }
        return b;
    }

    static int pathInt(RoutingContext ctx, String param) {
        String s = ctx.pathParam(param);
        try {
            int n = Integer.parseInt(s);
            if (n < 0) {
                throw new NumberFormatException();
            }
            return n;
        } catch (NumberFormatException | NullPointerException e) {
            throw ApiError.badRequest(param, "path parameter '" + param + "' must be a non-negative integer, got '" + s + "'");
        }
    }
}
