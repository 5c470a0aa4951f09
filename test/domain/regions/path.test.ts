import { test } from 'tap';
import {
  codeOfPath, codesOfPath, countyCodeOfPath, countyPathOf, isAboveCounty, levelOfPath, pathOfCodes, sharedDepth,
} from '../../../src/domain/regions/path.ts';

// The one reading of region paths ('/province/city/county/township/village/').
const village = '/430000/433100/433123/433123101/433123101001/';
const county = '/430000/433100/433123/';
const city = '/430000/433100/';

test('a path answers its codes, code, level and county', (t) => {
  t.same(codesOfPath(village), ['430000', '433100', '433123', '433123101', '433123101001']);
  t.equal(pathOfCodes(codesOfPath(village)), village, 'codes and paths round-trip');
  t.equal(codeOfPath(village), '433123101001');
  t.equal(codeOfPath(city), '433100');
  t.equal(codeOfPath('/'), undefined, 'an empty path names no region');
  t.same([village, '/430000/433100/433123/433123101/', county, city, '/430000/'].map(levelOfPath), ['village', 'township', 'county', 'city', 'province']);
  t.equal(levelOfPath('/'), undefined);
  t.equal(countyCodeOfPath(village), '433123');
  t.equal(countyCodeOfPath(county), '433123');
  t.equal(countyCodeOfPath(city), undefined, 'a city has no county');
  t.equal(countyPathOf(village), county);
  t.equal(countyPathOf(county), county);
  t.equal(countyPathOf(city), null);
  t.end();
});

test('above county: provinces and cities, not counties or below', (t) => {
  t.same([city, '/430000/', county, village].map(isAboveCounty), [true, true, false, false]);
  t.end();
});

test('sharedDepth: the depth of the deepest region holding both paths', (t) => {
  t.equal(sharedDepth(county, '/430000/433100/433130/'), 2, 'two counties of one city');
  t.equal(sharedDepth(county, '/430000/430100/430102/'), 1, 'counties of two cities');
  t.equal(sharedDepth(village, county), 3, 'a county holds its village');
  t.equal(sharedDepth('/430000/', '/450000/'), 0, 'two provinces share nothing');
  t.end();
});
