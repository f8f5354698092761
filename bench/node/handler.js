// The usual alternative to the Rust authorizer: a Node.js REST API TOKEN
// authorizer built on aws-jwt-verify, configured like the Rust one.
//
// Only what the benchmark exercises is implemented: TOKEN events, no route
// rules (a verified caller may call the whole stage), the same flat context.
// The verification itself is the library's: signature, issuer, token_use,
// client_id, exp/nbf/iat. It keeps no cache of verified tokens, so every
// invocation does a full RSA verification (the Rust verifier remembers
// verified tokens; `make bench` measures it both ways).
"use strict";

const { readFileSync } = require("node:fs");
const { CognitoJwtVerifier } = require("aws-jwt-verify");

function required(env, name) {
  const value = (env[name] || "").trim();
  if (!value) throw new Error(`${name} is required`);
  return value;
}

function createVerifier(env = process.env) {
  return CognitoJwtVerifier.create({
    userPoolId: required(env, "USER_POOL_ID"),
    clientId: required(env, "APP_CLIENT_IDS")
      .split(",")
      .map((id) => id.trim())
      .filter(Boolean),
    tokenUse: (env.TOKEN_USE || "access").trim(),
  });
}

// Init, as Lambda runs it before the first invocation: with JWKS_FILE the
// keys are loaded from disk (no network); without it they are fetched now.
async function init() {
  const verifier = createVerifier();
  const jwksFile = (process.env.JWKS_FILE || "").trim();
  if (jwksFile) {
    verifier.cacheJwks(JSON.parse(readFileSync(jwksFile, "utf8")));
  } else {
    await verifier.hydrate();
  }
  return (event) => handle(verifier, event);
}

class Unauthorized extends Error {
  constructor() {
    super("Unauthorized");
    this.name = "Unauthorized";
  }
}

// arn:aws:execute-api:{region}:{account}:{apiId}/{stage}/{verb}/{path}
// -> the whole stage: arn:aws:execute-api:{region}:{account}:{apiId}/{stage}/*/*
function stageArn(methodArn) {
  const [prefix, resource = ""] = methodArn.split(/:(?=[^:]*$)/);
  const [apiId, stage] = resource.split("/");
  if (!apiId || !stage) throw new Error("methodArn is not an execute-api ARN");
  return `${prefix}:${apiId}/${stage}/*/*`;
}

function handle(verifier, event) {
  if (!event || event.type !== "TOKEN" || typeof event.methodArn !== "string") {
    throw new Error("invalid authorizer event");
  }
  const match = /^Bearer +(\S+)$/i.exec(event.authorizationToken || "");
  if (!match) throw new Unauthorized();
  let claims;
  try {
    claims = verifier.verifySync(match[1]);
  } catch (err) {
    console.log(JSON.stringify({ level: "INFO", reason: err.name, message: "unauthorized" }));
    throw new Unauthorized();
  }
  const groups = claims["cognito:groups"] || [];
  const response = {
    principalId: claims.sub,
    policyDocument: {
      Version: "2012-10-17",
      Statement: [
        { Action: "execute-api:Invoke", Effect: "Allow", Resource: [stageArn(event.methodArn)] },
      ],
    },
    context: {
      client_id: claims.client_id || claims.aud,
      groups: groups.join(","),
      scopes: claims.scope || "",
      sub: claims.sub,
      token_use: claims.token_use,
      username: claims.username || claims["cognito:username"],
    },
  };
  // One structured line per decision, as the Rust authorizer logs.
  console.log(
    JSON.stringify({ level: "INFO", sub: claims.sub, decision: "allow", message: "policy issued" }),
  );
  return response;
}

module.exports = { init, handle, createVerifier, stageArn, Unauthorized };
