// The seed's Node sample, unchanged but for the base URL and the values read from the environment.
// Prints {"http": status, "body": response body} so the Python test can check every field.
const axios = require('axios');
const jwt = require('jsonwebtoken');

const API_KEY = process.env.API_KEY;
const API_SECRET = process.env.API_SECRET;
const CAMPAIGN_ID = process.env.CAMPAIGN_ID;
const URL = `${process.env.BASE_URL}/api/v1/public-api/campaign`;
const ACCESS_TOKEN = jwt.sign({ apiKey: API_KEY }, API_SECRET);
const contacts = JSON.parse(process.env.CONTACTS);

axios({
  method: 'POST',
  url: URL,
  headers: { Authorization: `Bearer ${ACCESS_TOKEN}` },
  data: { campaign_id: CAMPAIGN_ID, contacts },
  validateStatus: () => true,
})
  .then((response) => {
    process.stdout.write(JSON.stringify({ http: response.status, body: response.data }));
  })
  .catch((error) => {
    process.stderr.write(String(error));
    process.exit(2);
  });
