// The Tencent deployment files as each deploy tool reads them, offline: no network, no credentials.
// Prints one JSON object on stdout; tests/python/test_tencent_config.py runs it.
//
//   node resolve.js scf   in the folder `scf deploy` runs in (deploy/tencent): serverless-cloud-framework
//   node resolve.js tcb   in the folder `tcb fn deploy` runs in (the project's top): the CloudBase CLI
//
// scf: serverless-cloud-framework 1.3.0 (src/libs/config.js) loads ONE dotenv file before anything
// else, the first that exists of .env.<stage> and .env in the working folder, then in its parent,
// then two folders up (stage: --stage, else the working folder's serverless.yml, else "dev"); dotenv
// never overrides a variable already set. Then, run where no serverless.yml is but sub-folders hold
// component instances (src/commands/run.js: runningTemplate && checkTemplateAppAndStage), it deploys
// every instance as one app: loadInstanceConfig of each sub-folder and resolveVariables of
// ${env:NAME} from process.env (src/libs/utils/basic.js, src/libs/utils/utils.js
// loadTencentInstanceConfig). serverless-cloud-framework is not on the npm registry; those functions
// are its fork of @serverless/components 3.18.2's src/cli/utils.js, the same code (comments and one
// error message aside), which is what runs here. The lookup order below is the one of its config.js
// (written out here: the fork keeps it inline, not exported). Its YAML parser is js-yaml 4 where
// @serverless/components has 3: both parse each file, and they must agree.
//
// tcb: @cloudbase/cli 2.12.10 bundles @cloudbase/toolbox's ConfigParser (getCloudBaseConfig: new
// ConfigParser({ configPath }).get()), which finds cloudbaserc.json in the working folder, reads
// .env, .env.local and .env.<--mode> from the working folder (later ones win, the process
// environment over all) and renders every {{env.NAME}} with mustache (no escaping; an unknown name
// renders as ""), then JSON-parses the result.
'use strict';

const fs = require('fs');
const path = require('path');
const assert = require('assert');

function scf() {
  const utils = require('@serverless/components/src/cli/utils');
  const yaml4 = require('js-yaml');
  const cwd = process.cwd();
  const here = utils.loadInstanceConfig(cwd);
  const stage = (here && here.stage) || 'dev';
  const candidates = [];
  for (const up of ['.', '..', path.join('..', '..')]) {
    candidates.push(path.join(cwd, up, `.env.${stage}`), path.join(cwd, up, '.env'));
  }
  const envFile = candidates.find((p) => utils.fileExistsSync(p)) || null;
  if (envFile) {
    require('dotenv').config({ path: path.resolve(envFile) });
  }
  const instances = {};
  for (const entry of fs.readdirSync(cwd).sort()) {
    const dir = path.join(cwd, entry);
    if (!fs.statSync(dir).isDirectory()) continue;
    const raw = utils.loadInstanceConfig(dir);
    if (!raw) continue;
    const file = ['serverless.yml', 'serverless.yaml'].map((f) => path.join(dir, f)).find(fs.existsSync);
    const byYaml4 = yaml4.load(fs.readFileSync(file, 'utf8'));
    assert.deepStrictEqual(byYaml4.inputs, raw.inputs, `${file}: js-yaml 4 and 3 disagree`);
    const resolved = utils.resolveVariables(JSON.parse(JSON.stringify(raw)));
    instances[entry] = { name: resolved.name, app: resolved.app, stage: resolved.stage, component: resolved.component,
      inputs: resolved.inputs };
  }
  return {
    envFile: envFile && path.relative(cwd, envFile),
    deploysAllAsOneApp: utils.runningTemplate(cwd) && utils.checkTemplateAppAndStage(cwd),
    instances,
  };
}

async function tcb() {
  const { ConfigParser } = require('@cloudbase/toolbox');
  return { config: await new ConfigParser().get() };
}

async function main() {
  const tool = process.argv[2];
  const result = tool === 'scf' ? scf() : tool === 'tcb' ? await tcb() : null;
  if (!result) {
    process.stderr.write('usage: node resolve.js scf|tcb\n');
    process.exit(2);
  }
  // A ${env:NAME} with no value resolves to undefined, which JSON would drop: show it as null.
  process.stdout.write(`${JSON.stringify(result, (_, v) => (v === undefined ? null : v))}\n`);
}

main().catch((e) => {
  process.stderr.write(`${e.stack || e}\n`);
  process.exit(1);
});
